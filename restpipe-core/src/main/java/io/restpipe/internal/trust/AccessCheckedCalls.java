package io.restpipe.internal.trust;

import io.restpipe.PipeException;
import io.restpipe.internal.call.PipeCall;
import io.restpipe.internal.gateway.CallDecorator;
import io.restpipe.internal.gateway.GatewayCall;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Checks each gateway call against the access policy before anything is sent (the {@code caller:} rules): 403
 * naming the rule when denied. Thread-safe.
 */
public final class AccessCheckedCalls implements CallDecorator {
    private static final String CLIENT = "client:";

    private final AccessControl access;
    private final Function<String, CompletableFuture<String>> executor;

    /**
     * @param executor who executes a call to a target, as rules name it ({@code client:NAME} or {@code server}):
     *                 on the server, the target resolved to the client's name, so no address gets around a rule
     */
    public AccessCheckedCalls(AccessControl access, Function<String, CompletableFuture<String>> executor) {
        this.access = access;
        this.executor = executor;
    }

    @Override
    public CompletableFuture<PipeCall> start(GatewayCall call, CallStarter next) {
        CompletableFuture<String> resolving = executor.apply(call.target());
        // Most targets are known at once (a connected client's name, the server): no stage to chain then.
        String known = resolving.isDone() && !resolving.isCompletedExceptionally() ? resolving.join() : null;
        return known != null ? check(call, known, next) : resolving.thenCompose(who -> check(call, who, next));
    }

    private CompletableFuture<PipeCall> check(GatewayCall call, String who, CallStarter next) {
        String sender = "caller:" + call.caller();
        String verb = call.event().verb();
        String noun = call.event().noun();
        AccessDecision decision = access.check(sender, who, verb, noun);
        if (!decision.allowed()) {
            return CompletableFuture.failedFuture(new PipeException(PipeException.Kind.FORBIDDEN,
                    AccessControl.denialMessage(decision, sender, who, verb, noun)));
        }
        // The name it resolved to, so that the pipe calls the client that was checked.
        return next.start(who.startsWith(CLIENT) ? call.withTarget(who.substring(CLIENT.length())) : call);
    }
}
