package io.restpipe.internal.directory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;

/**
 * One row of {@code GET /clients}.
 *
 * @param heartbeatRtt   the last heartbeat's round trip, or {@code null} before the first
 * @param eventsInFlight calls in flight with the peer, both ways
 */
public record ConnectedPeer(String name, InetSocketAddress remoteAddress, Instant connectedSince,
                            Duration heartbeatRtt, int eventsInFlight) {
}
