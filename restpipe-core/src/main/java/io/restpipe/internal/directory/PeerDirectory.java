package io.restpipe.internal.directory;

import io.restpipe.PeerInfo;
import io.restpipe.PipeException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Which peer is where: the server's clients by name, and the lookup of a call's target. Today's one is
 * {@link InMemoryPeerDirectory}; a directory shared by several server nodes plugs in here. Thread-safe.
 *
 * @param <P> a peer connected to this node
 */
public interface PeerDirectory<P extends PeerDirectory.Entry> {
    /** A connected peer as the directory sees it. */
    interface Entry {
        PeerInfo peer();

        /** True while calls can go to this peer. */
        boolean isAvailable();

        /** A row of {@code GET /clients}. */
        ConnectedPeer describe();
    }

    /** Registers {@code peer} and returns the older one of the same name it replaces, if any. */
    P register(P peer);

    /** Forgets {@code peer} unless a newer one of the same name already took its place; true when it did. */
    boolean unregister(P peer);

    /** The peer registered under {@code name} on this node, or {@code null}. */
    P get(String name);

    /** The peers connected to this node. */
    Collection<P> local();

    /** What {@code GET /clients} shows, sorted by name. */
    List<ConnectedPeer> snapshot();

    int size();

    /**
     * Finds the peer for {@code target}: a connected client's name, an IP literal equal to a client's address, or a
     * DNS name resolving to one. Fails with {@link PipeException}: NOT_FOUND for a name nobody knows, AMBIGUOUS when
     * several clients share the address, UNAVAILABLE when no match connects within {@code wait}.
     */
    CompletableFuture<P> resolve(String target, Duration wait);
}
