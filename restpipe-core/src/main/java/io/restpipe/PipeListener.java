package io.restpipe;

import java.time.Instant;

/** Observes the life of pipes; every method has a no-op default. Called from event loops: do not block. */
public interface PipeListener {
    /** Client side: the pipe to the server is up. */
    default void connected(PeerInfo server) {
    }

    /** Client side: an attempt to connect failed. {@code attempt} counts failures since {@code failingSince}. */
    default void connectFailed(int attempt, Instant failingSince, Throwable cause) {
    }

    /** Client side: the pipe to the server went down. */
    default void disconnected(PeerInfo server, String reason) {
    }

    /** Server side: a client's pipe is up; {@code connectedCount} includes it. */
    default void clientAdded(PeerInfo client, int connectedCount) {
    }

    /** Server side: a client's pipe went down; {@code connectedCount} no longer includes it. */
    default void clientRemoved(PeerInfo client, int connectedCount, String reason) {
    }

    /** Both sides: a pipe to {@code peer} is up and can carry calls (after the side-specific event above). */
    default void peerStarted(PeerInfo peer) {
    }

    /** Both sides: the pipe to {@code peer} is gone; calls in flight on it have failed. */
    default void peerStopped(PeerInfo peer) {
    }

    /** Server side: called every minute while no client is connected. */
    default void idle() {
    }
}
