package io.restpipe.internal.gateway;

import io.restpipe.PipeEvent;
import io.restpipe.internal.call.PipeCall;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Wraps every call a gateway starts: sees the target and the event before they go into the pipe, and may change
 * them or fail the call instead (authorization of callers, logging, limits plug in here). Called on the gateway
 * connection's event loop: do not block.
 */
@FunctionalInterface
public interface CallDecorator {
    /** Starts the call, usually through {@code next}; see {@link GatewayBackend#start}. */
    CompletableFuture<PipeCall> start(String target, PipeEvent event, boolean streamBody, long contentLength,
                                      CallStarter next);

    /** The one method of {@link GatewayBackend} the decorators wrap. */
    @FunctionalInterface
    interface CallStarter {
        CompletableFuture<PipeCall> start(String target, PipeEvent event, boolean streamBody, long contentLength);
    }

    /** {@code starter} wrapped in {@code decorators}, the first one outermost. */
    static CallStarter around(CallStarter starter, List<CallDecorator> decorators) {
        CallStarter decorated = starter;
        for (int i = decorators.size() - 1; i >= 0; i--) {
            CallDecorator decorator = decorators.get(i);
            CallStarter next = decorated;
            decorated = (target, event, streamBody, length) -> decorator.start(target, event, streamBody, length, next);
        }
        return decorated;
    }
}
