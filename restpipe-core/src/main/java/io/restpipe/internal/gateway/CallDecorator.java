package io.restpipe.internal.gateway;

import io.restpipe.internal.call.PipeCall;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Wraps every call a gateway starts: sees the caller, the target and the event before they go into the pipe, and
 * may change them or fail the call instead (authorization of callers, logging, limits plug in here). Called on the
 * gateway connection's event loop: do not block.
 */
@FunctionalInterface
public interface CallDecorator {
    /** Starts the call, usually through {@code next}; see {@link GatewayBackend#start}. */
    CompletableFuture<PipeCall> start(GatewayCall call, CallStarter next);

    /** What the decorators wrap: in the end, {@link GatewayBackend#start}. */
    @FunctionalInterface
    interface CallStarter {
        CompletableFuture<PipeCall> start(GatewayCall call);
    }

    /** {@code backend}'s calls wrapped in {@code decorators}, the first one outermost. */
    static CallStarter around(GatewayBackend backend, List<CallDecorator> decorators) {
        return around(call -> backend.start(call.target(), call.event(), call.streamBody(), call.contentLength()),
                decorators);
    }

    /** {@code starter} wrapped in {@code decorators}, the first one outermost. */
    static CallStarter around(CallStarter starter, List<CallDecorator> decorators) {
        CallStarter decorated = starter;
        for (int i = decorators.size() - 1; i >= 0; i--) {
            CallDecorator decorator = decorators.get(i);
            CallStarter next = decorated;
            decorated = call -> decorator.start(call, next);
        }
        return decorated;
    }
}
