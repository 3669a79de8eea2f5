package io.restpipe.internal.peer;

import io.restpipe.PeerInfo;
import io.restpipe.internal.call.PeerCalls;
import io.restpipe.internal.directory.ConnectedPeer;
import io.restpipe.internal.directory.PeerDirectory;
import io.restpipe.internal.link.PipeLink;

/** A peer as a server or client holds it: its call state, and the link that state is attached to. Thread-safe. */
final class Peer implements PeerDirectory.Entry {
    private final PipeLink link;
    private final PeerCalls calls;

    /** Attaches {@code calls} to {@code link}, both ways; on the link's event loop, as it comes up. */
    Peer(PipeLink link, PeerCalls calls) {
        this.link = link;
        this.calls = calls;
        calls.attach(link.sink(), link.peer());
        link.attach(calls);
    }

    PipeLink link() {
        return link;
    }

    PeerCalls calls() {
        return calls;
    }

    @Override
    public PeerInfo peer() {
        return link.peer();
    }

    @Override
    public boolean isAvailable() {
        return calls.isAvailable();
    }

    @Override
    public ConnectedPeer describe() {
        return new ConnectedPeer(link.peer().name(), link.peer().address(), link.connectedSince(),
                link.heartbeatRtt(), calls.inFlight());
    }
}
