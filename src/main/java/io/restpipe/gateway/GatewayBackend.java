package io.restpipe.gateway;

import io.restpipe.pipe.PipeCall;
import io.restpipe.pipe.PipeEvent;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The side of the pipe a gateway fronts. Implementations are thread-safe. */
public interface GatewayBackend {
    /**
     * Starts {@code event} through the pipe once the target's pipe is there; fails with
     * {@link io.restpipe.pipe.PipeException} in transport.
     *
     * @param target        the client to call on the server; {@code null} on the client, which has one peer
     * @param streamBody    true when the request body follows through {@link PipeCall#requestBody()}
     * @param contentLength the streamed body's length, or -1 when unknown
     */
    CompletableFuture<PipeCall> start(String target, PipeEvent event, boolean streamBody, long contentLength);

    /** True when the pipe (client) or the pipe listener (server) is up. */
    boolean isUp();

    /** Rows for {@code GET /clients} on the server; empty on the client. */
    List<Map<String, Object>> clients();

    /** The metrics in Prometheus text format. */
    String scrapeMetrics();
}
