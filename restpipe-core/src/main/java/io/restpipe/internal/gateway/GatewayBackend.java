package io.restpipe.internal.gateway;

import io.restpipe.PipeEvent;
import io.restpipe.PipeException;
import io.restpipe.internal.call.PipeCall;
import io.restpipe.internal.directory.ConnectedPeer;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The side of the pipe a gateway fronts. Implementations are thread-safe. */
public interface GatewayBackend {
    /**
     * Starts {@code event} through the pipe once the target's pipe is there; fails with
     * {@link io.restpipe.PipeException} in transport.
     *
     * @param target        the client to call on the server; {@code null} on the client, which has one peer
     * @param streamBody    true when the request body follows through {@link PipeCall#requestBody()}
     * @param contentLength the streamed body's length, or -1 when unknown
     */
    CompletableFuture<PipeCall> start(String target, PipeEvent event, boolean streamBody, long contentLength);

    /** True when the pipe (client) or the pipe listener (server) is up. */
    boolean isUp();

    /** Rows for {@code GET /clients} on the server; empty on the client. */
    List<ConnectedPeer> clients();

    /** The metrics in Prometheus text format, or {@code null} when this side exports none. */
    String scrapeMetrics();
}
