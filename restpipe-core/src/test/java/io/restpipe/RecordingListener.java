package io.restpipe;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Records what a pipe listener is told, so tests can await it. Thread-safe. */
public final class RecordingListener implements PipeListener {
    final AtomicInteger connects = new AtomicInteger();
    final AtomicInteger failures = new AtomicInteger();
    final List<String> failureReasons = new CopyOnWriteArrayList<>();
    final List<String> disconnectReasons = new CopyOnWriteArrayList<>();
    final List<String> added = new CopyOnWriteArrayList<>();
    final List<String> removed = new CopyOnWriteArrayList<>();
    final List<String> removedReasons = new CopyOnWriteArrayList<>();
    final List<String> started = new CopyOnWriteArrayList<>();
    final List<String> stopped = new CopyOnWriteArrayList<>();

    @Override
    public void connected(PeerInfo server) {
        connects.incrementAndGet();
    }

    @Override
    public void connectFailed(int attempt, Instant failingSince, Throwable cause) {
        failureReasons.add(String.valueOf(cause.getMessage()));
        failures.incrementAndGet();
    }

    @Override
    public void disconnected(PeerInfo server, String reason) {
        disconnectReasons.add(reason);
    }

    @Override
    public void clientAdded(PeerInfo client, int connectedCount) {
        added.add(client.name() + "/" + connectedCount);
    }

    @Override
    public void clientRemoved(PeerInfo client, int connectedCount, String reason) {
        removed.add(client.name() + "/" + connectedCount);
        removedReasons.add(reason);
    }

    @Override
    public void peerStarted(PeerInfo peer) {
        started.add(peer.name());
    }

    @Override
    public void peerStopped(PeerInfo peer) {
        stopped.add(peer.name());
    }
}
