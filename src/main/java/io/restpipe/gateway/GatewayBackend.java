package io.restpipe.gateway;

import io.restpipe.pipe.PipeEvent;
import io.restpipe.pipe.PipeReply;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The side of the pipe a gateway fronts. Implementations are thread-safe. */
public interface GatewayBackend {
    /**
     * Sends {@code event} through the pipe; fails with {@link io.restpipe.pipe.PipeException} in transport.
     *
     * @param target the client to call on the server; {@code null} on the client, which has one peer
     */
    CompletableFuture<PipeReply> call(String target, PipeEvent event);

    /** True when the pipe (client) or the pipe listener (server) is up. */
    boolean isUp();

    /** Rows for {@code GET /clients} on the server; empty on the client. */
    List<Map<String, Object>> clients();

    /** The metrics in Prometheus text format. */
    String scrapeMetrics();
}
