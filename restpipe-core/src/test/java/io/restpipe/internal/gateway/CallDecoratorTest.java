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
    private final CallDecorator.CallStarter pipe = (target, event, streamBody, length) -> {
        seen.add("pipe " + target + " " + event.noun());
        return CompletableFuture.completedFuture(new PipeCall(null, new CompletableFuture<>()));
    };

    private CallDecorator named(String name) {
        return (target, event, streamBody, length, next) -> {
            seen.add(name);
            return next.start(target, event, streamBody, length);
        };
    }

    @Test
    void decoratorsSeeEachCallFirstToLastThenItGoesIntoThePipe() {
        CallDecorator.around(pipe, List.of(named("outer"), named("inner")))
                .start("fileserver", PipeEvent.of("GET", "time"), false, -1);
        assertThat(seen).containsExactly("outer", "inner", "pipe fileserver time");
    }

    @Test
    void aDecoratorMayChangeTheCallOrFailItBeforeItReachesThePipe() {
        CallDecorator renaming = (target, event, streamBody, length, next) ->
                next.start("edge-" + target, event, streamBody, length);
        CallDecorator.around(pipe, List.of(renaming)).start("a", PipeEvent.of("GET", "x"), false, -1);
        assertThat(seen).containsExactly("pipe edge-a x");

        CallDecorator refusing = (target, event, streamBody, length, next) -> CompletableFuture.failedFuture(
                new PipeException(PipeException.Kind.NOT_FOUND, "no such client for this caller"));
        assertThat(CallDecorator.around(pipe, List.of(refusing)).start("b", PipeEvent.of("GET", "y"), false, -1))
                .isCompletedExceptionally();
        assertThat(seen).hasSize(1);
    }
}
