package io.restpipe.internal.call;

import io.restpipe.PipeReply;
import java.util.concurrent.CompletableFuture;

/**
 * A call in flight whose request body may still be streaming: write it through {@link #requestBody()}, await
 * {@link #reply()}. Cancelling the reply future tells the peer to cancel. Thread-safe.
 *
 * @param requestBody where the rest of the request body goes, or {@code null} when it was sent inline
 */
public record PipeCall(OutboundBody requestBody, CompletableFuture<PipeReply> reply) {
}
