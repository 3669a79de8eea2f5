package io.restpipe.internal.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.restpipe.PipeEvent;
import io.restpipe.PipeException;
import io.restpipe.internal.call.PipeCall;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class CallDecoratorTest {
    private final List<String> seen = new ArrayList<>();
    private final CallDecorator.CallStarter pipe = call -> {
        seen.add("pipe " + call.caller() + "->" + call.target() + " " + call.event().noun());
        return CompletableFuture.completedFuture(new PipeCall(null, new CompletableFuture<>()));
    };

    private CallDecorator named(String name) {
        return (call, next) -> {
            seen.add(name);
            return next.start(call);
        };
    }

    @Test
    void decoratorsSeeEachCallFirstToLastThenItGoesIntoThePipe() {
        CallDecorator.around(pipe, List.of(named("outer"), named("inner")))
                .start(call("webapp", "fileserver", "time"));
        assertThat(seen).containsExactly("outer", "inner", "pipe webapp->fileserver time");
    }

    @Test
    void aDecoratorMayChangeTheCallOrFailItBeforeItReachesThePipe() {
        CallDecorator renaming = (call, next) -> next.start(call.withTarget("edge-" + call.target()));
        CallDecorator.around(pipe, List.of(renaming)).start(call("", "a", "x"));
        assertThat(seen).containsExactly("pipe ->edge-a x");

        CallDecorator refusing = (call, next) -> CompletableFuture.failedFuture(
                new PipeException(PipeException.Kind.NOT_FOUND, "no such client for this caller"));
        assertThat(CallDecorator.around(pipe, List.of(refusing)).start(call("", "b", "y")))
                .isCompletedExceptionally();
        assertThat(seen).hasSize(1);
    }

    private static GatewayCall call(String caller, String target, String noun) {
        return new GatewayCall(caller, target, PipeEvent.of("GET", noun), false, -1);
    }
}
