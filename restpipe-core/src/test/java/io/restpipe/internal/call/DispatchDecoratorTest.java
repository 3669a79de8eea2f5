package io.restpipe.internal.call;

import static org.assertj.core.api.Assertions.assertThat;

import io.restpipe.PeerInfo;
import io.restpipe.PipeEvent;
import io.restpipe.PipeReply;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class DispatchDecoratorTest {
    private static final IncomingEvent EVENT = new IncomingEvent(
            new PeerInfo("peer", new InetSocketAddress("127.0.0.1", 4000)), PipeEvent.of("GET", "time"), null, null);

    private final List<String> seen = new ArrayList<>();
    private final List<PipeReply> replies = new ArrayList<>();
    private final Replier replier = new Replier() {
        @Override
        public void reply(PipeReply reply) {
            replies.add(reply);
        }

        @Override
        public OutboundBody replyStreamed(PipeReply reply, long contentLength) {
            throw new UnsupportedOperationException();
        }
    };
    private final EventDispatcher handlers = (event, reply) -> {
        seen.add("handler");
        reply.reply(PipeReply.error(PipeReply.CODE_OK, 200, "ran"));
        return CompletableFuture.completedFuture(null);
    };

    private DispatchDecorator named(String name) {
        return (event, reply, next) -> {
            seen.add(name);
            return next.dispatch(event, reply);
        };
    }

    @Test
    void decoratorsSeeEachEventFirstToLastThenTheHandlerRuns() {
        DispatchDecorator.around(handlers, List.of(named("outer"), named("inner"))).dispatch(EVENT, replier);
        assertThat(seen).containsExactly("outer", "inner", "handler");
        assertThat(replies).hasSize(1);
    }

    @Test
    void aDecoratorThatAnswersItselfKeepsTheEventFromTheHandler() {
        DispatchDecorator refuse = (event, reply, next) -> {
            reply.reply(PipeReply.error(PipeReply.CODE_REFUSED, 403, "not for " + event.peer().name()));
            return CompletableFuture.completedFuture(null);
        };
        DispatchDecorator.around(handlers, List.of(refuse)).dispatch(EVENT, replier);
        assertThat(seen).isEmpty();
        assertThat(replies).singleElement().satisfies(r -> assertThat(r.status()).isEqualTo(403));
    }

    @Test
    void noDecoratorsIsTheDispatcherItself() {
        assertThat(DispatchDecorator.around(handlers, List.of())).isSameAs(handlers);
    }
}
