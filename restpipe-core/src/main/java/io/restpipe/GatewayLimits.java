package io.restpipe;

import java.time.Duration;

/**
 * What one gateway lets its callers spend. Past each bound only the caller that crossed it is answered with an
 * error or closed.
 *
 * @param maxBodyBytes   request bodies over this many bytes get 413; 0 = no limit (bodies stream in bounded memory)
 * @param maxCalls       calls in flight at once; past it a call gets 503; 0 = no limit
 * @param maxConnections connections open at once; past it a new connection gets 503 and is closed; 0 = no limit
 * @param maxHeaderBytes the largest header block of a request; past it 431 (a request line over
 *                       {@link #MAX_REQUEST_LINE} gets 414)
 * @param headerTimeout  time from a request's first byte until its headers are complete; past it 408 and close
 * @param idleTimeout    time a keep-alive connection may wait for its next request before it is closed
 */
public record GatewayLimits(long maxBodyBytes, int maxCalls, int maxConnections, int maxHeaderBytes,
                            Duration headerTimeout, Duration idleTimeout) {
    public static final int MAX_REQUEST_LINE = 8 * 1024;

    public static GatewayLimits defaults() {
        return new GatewayLimits(0, 10_000, 10_000, 16 * 1024, Duration.ofSeconds(10), Duration.ofSeconds(60));
    }

    public GatewayLimits withMaxBodyBytes(long bytes) {
        return new GatewayLimits(bytes, maxCalls, maxConnections, maxHeaderBytes, headerTimeout, idleTimeout);
    }

    public GatewayLimits withMaxCalls(int calls) {
        return new GatewayLimits(maxBodyBytes, calls, maxConnections, maxHeaderBytes, headerTimeout, idleTimeout);
    }

    public GatewayLimits withMaxConnections(int connections) {
        return new GatewayLimits(maxBodyBytes, maxCalls, connections, maxHeaderBytes, headerTimeout, idleTimeout);
    }

    public GatewayLimits withMaxHeaderBytes(int bytes) {
        return new GatewayLimits(maxBodyBytes, maxCalls, maxConnections, bytes, headerTimeout, idleTimeout);
    }

    public GatewayLimits withTimeouts(Duration header, Duration idle) {
        return new GatewayLimits(maxBodyBytes, maxCalls, maxConnections, maxHeaderBytes, header, idle);
    }
}
