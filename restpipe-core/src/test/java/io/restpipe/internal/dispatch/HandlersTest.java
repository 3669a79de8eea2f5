package io.restpipe.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.restpipe.HeaderField;
import io.restpipe.PeerInfo;
import io.restpipe.PipeEvent;
import io.restpipe.PipeReply;
import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Call;
import io.restpipe.handler.Handlers;
import io.restpipe.handler.Reply;
import io.restpipe.handler.SampleHandlers;
import io.restpipe.internal.call.IncomingEvent;
import io.restpipe.internal.call.OutboundBody;
import io.restpipe.internal.call.Replier;
import io.restpipe.internal.dispatch.HandlerDispatcher;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Handler look-up, annotation binding and the encoding of results, without a pipe. */
class HandlersTest {
    private static final PeerInfo PEER = new PeerInfo("caller", new InetSocketAddress("127.0.0.1", 5000));

    private final HandlerDispatcher dispatcher = new HandlerDispatcher(
            BuiltinHandlers.register(new Handlers(), "client").load(SampleHandlers.class.getName())
                    .load(SampleHandlers.Module.class.getName()));

    private PipeReply call(String verb, String noun, String contentType, String body, String... arguments) {
        PipeEvent event = new PipeEvent(verb, noun, List.of(arguments), "", List.<HeaderField>of(), contentType,
                body == null ? null : body.getBytes(StandardCharsets.UTF_8), null, null);
        return dispatcher.handle(new Call(PEER, event, Instant.now().plusSeconds(5))).reply();
    }

    @Test
    void builtinsAnswerWithTheSidesKeys() {
        assertThat(call("GET", "cat", null, null, "a", "b", "c").bodyText()).isEqualTo("{\"result_from_client\":\"abc\"}");
        assertThat(call("GET", "time", null, null).bodyText()).matches("\\{\"time_from_client\":\\d{10}\\.\\d{6}}");
    }

    @Test
    void stringParametersTakePositionalArgumentsInOrder() {
        PipeReply reply = call("get", "greet", null, null, "ann", "bob");
        assertThat(reply.bodyText()).isEqualTo("hello ann and bob");
        assertThat(reply.contentType()).isEqualTo("text/plain; charset=utf-8");
        assertThat(call("GET", "greet", null, null, "ann").bodyText()).isEqualTo("hello ann and null");
    }

    @Test
    void otherParameterTypesAreDecodedFromTheJsonBody() {
        PipeReply reply = call("POST", "people/greet", "application/json", "{\"name\":\"yo\",\"times\":2}");
        assertThat(reply.contentType()).isEqualTo("application/json");
        assertThat(reply.bodyText()).contains("\"text\":\"hi yoyo\"").contains("\"from\":\"caller\"")
                .contains("\"verb\":\"POST\"");
    }

    @Test
    void badJsonBodyIsAHandlerFailure() {
        PipeReply reply = call("POST", "people/greet", "application/json", "{not json");
        assertThat(reply.code()).isEqualTo(PipeReply.CODE_HANDLER_FAILED);
        assertThat(reply.status()).isEqualTo(500);
        assertThat(reply.bodyText()).contains("not valid JSON for Greeting");
    }

    @Test
    void anyVerbHandlerAndListParameters() {
        assertThat(call("DELETE", "count", null, null, "x", "y").bodyText()).isEqualTo("4");
    }

    @Test
    void nullAndBytesResults() {
        PipeReply nothing = call("GET", "nothing", null, null);
        assertThat(nothing.body()).isEmpty();
        assertThat(nothing.status()).isEqualTo(200);
        PipeReply bytes = call("GET", "bytes", null, null);
        assertThat(bytes.body()).containsExactly(1, 2, 3);
        assertThat(bytes.contentType()).isEqualTo("application/octet-stream");
    }

    @Test
    void moduleRegistersItsOwnHandlers() {
        assertThat(call("GET", "module", null, null).bodyText()).isEqualTo("from module");
    }

    @Test
    void unknownVerbOrNounIsNoHandler() {
        PipeReply reply = call("PUT", "greet", null, null);
        assertThat(reply.code()).isEqualTo(255);
        assertThat(reply.status()).isEqualTo(404);
        assertThat(reply.bodyText()).contains("no handler for PUT greet");
    }

    @Test
    void replyObjectSetsEverything() {
        Handlers handlers = new Handlers().on("GET", "custom", call -> Reply.status(202).code(7)
                .header("X-A", "b").contentType("text/csv").body("a,b".getBytes(StandardCharsets.UTF_8)));
        PipeReply reply = new HandlerDispatcher(handlers).handle(new Call(PEER, PipeEvent.of("GET", "custom"), null))
                .reply();
        assertThat(reply.status()).isEqualTo(202);
        assertThat(reply.code()).isEqualTo(7);
        assertThat(reply.contentType()).isEqualTo("text/csv");
        assertThat(reply.headers()).containsExactly(new HeaderField("X-A", "b"));
        assertThat(reply.bodyText()).isEqualTo("a,b");
    }

    @Test
    void loadingExplainsWhatIsWrongWithAClass() {
        Handlers handlers = new Handlers();
        assertThatThrownBy(() -> handlers.load("com.example.Missing"))
                .hasMessage("handler class com.example.Missing is not on the classpath");
        assertThatThrownBy(() -> handlers.load(SampleHandlers.NoAnnotations.class.getName()))
                .hasMessageContaining("has no public method annotated with @On");
        assertThatThrownBy(() -> handlers.load(SampleHandlers.NoDefaultConstructor.class.getName()))
                .hasMessageContaining("has no public no-argument constructor");
    }

    @Test
    void aCancelledHandlerSeesItsCancellationWhenItsInterruptWakesIt() throws Exception {
        // The interrupt and the cancelled flag are set by different steps of a cancel; a handler woken by the
        // interrupt must already see the flag. Several rounds, since an ordering bug shows only some of the time.
        BlockingQueue<Boolean> seen = new LinkedBlockingQueue<>();
        AtomicReference<CountDownLatch> running = new AtomicReference<>();
        Handlers handlers = new Handlers().on("GET", "block", call -> {
            running.get().countDown();
            try {
                new CountDownLatch(1).await(30, TimeUnit.SECONDS); // nothing releases it: the cancel interrupts it
            } catch (InterruptedException e) {
                seen.add(call.isCancelled());
            }
            return null;
        });
        try (HandlerDispatcher blocking = new HandlerDispatcher(handlers)) {
            Replier ignored = new Replier() {
                @Override
                public void reply(PipeReply reply) {
                }

                @Override
                public OutboundBody replyStreamed(PipeReply reply, long contentLength) {
                    throw new UnsupportedOperationException();
                }
            };
            for (int round = 0; round < 20; round++) {
                CountDownLatch handlerRunning = new CountDownLatch(1);
                running.set(handlerRunning);
                Future<?> future = blocking.dispatch(
                        new IncomingEvent(PEER, PipeEvent.of("GET", "block"), null, null), ignored);
                assertThat(handlerRunning.await(10, TimeUnit.SECONDS)).isTrue();
                future.cancel(true);
                assertThat(seen.poll(10, TimeUnit.SECONDS)).as("round %d", round).isTrue();
            }
        }
    }
}
