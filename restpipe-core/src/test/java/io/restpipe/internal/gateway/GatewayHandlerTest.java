package io.restpipe.internal.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.PendingWriteQueue;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.restpipe.GatewayLimits;
import io.restpipe.HeaderField;
import io.restpipe.PipeEvent;
import io.restpipe.PipeException;
import io.restpipe.PipeReply;
import io.restpipe.TrackingAllocator;
import io.restpipe.internal.call.PipeCall;
import io.restpipe.internal.directory.ConnectedPeer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One gateway connection on the pipeline {@link GatewayInitializer} builds, over an embedded channel (see
 * {@link GatewayChannels}), with a backend whose calls the test answers: pipelined requests, a caller that does not
 * read its responses, {@code Expect: 100-continue}, and the status a call that failed in transport gets.
 */
class GatewayHandlerTest {
    private static final int OVER_THE_LIMIT = 1000;
    private static final GatewayLimits SMALL_BODIES = GatewayLimits.defaults().withMaxBodyBytes(16);

    private final TrackingAllocator alloc = new TrackingAllocator();
    private final ScriptedBackend backend = new ScriptedBackend();
    /** What happened, in order: each call the backend was asked to start, and each response the gateway wrote. */
    private final List<String> story = new ArrayList<>();
    /** The caller's side of the connection, which reads what the gateway wrote back as responses. */
    private final EmbeddedChannel caller = new EmbeddedChannel(new HttpResponseDecoder());
    private final List<Answer> answers = new ArrayList<>();
    private Answer.Builder answering;
    private EmbeddedChannel gateway;

    @AfterEach
    void hangUpAndCheckEveryBufferWasReleased() {
        if (gateway != null) {
            gateway.finishAndReleaseAll();
        }
        caller.finishAndReleaseAll();
        assertThat(alloc.unreleased()).as("buffers not released (%d handed out)", alloc.handedOut()).isEmpty();
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderEachCallStartingOnlyOnceThePreviousResponseWasWritten() throws Exception {
        open(GatewayLimits.defaults());

        send("GET /server/first HTTP/1.1\r\nHost: gw\r\n\r\nGET /server/second HTTP/1.1\r\nHost: gw\r\n\r\n");
        assertThat(story).containsExactly("call first");

        reply(0, "one");
        assertThat(story).containsExactly("call first", "response 200", "call second");
        reply(1, "two");

        assertThat(story).containsExactly("call first", "response 200", "call second", "response 200");
        assertThat(answers()).extracting(Answer::status, Answer::body).containsExactly(
                tuple(200, "one"), tuple(200, "two"));
        assertThat(gateway.isOpen()).isTrue();
    }

    /**
     * The caller's socket takes bytes only when it reads them; here it reads nothing, so the first response fills
     * the gateway's write buffer (a tiny one) and the channel turns unwritable. The gateway must then leave the
     * second request unread rather than run its call and pile up another response.
     */
    @Test
    void aCallerThatPipelinesWithoutReadingItsResponsesGetsNoFurtherCallRunUntilItReads() throws Exception {
        UnreadResponses socket = new UnreadResponses();
        open(GatewayLimits.defaults(), socket);
        gateway.config().setWriteBufferWaterMark(new WriteBufferWaterMark(16, 32));

        send("GET /server/first HTTP/1.1\r\nHost: gw\r\n\r\nGET /server/second HTTP/1.1\r\nHost: gw\r\n\r\n");
        reply(0, "one");

        assertThat(gateway.isWritable()).as("writable with the first response unread").isFalse();
        assertThat(story).containsExactly("call first", "response 200");
        assertThat(backend.events).hasSize(1);

        socket.callerReads();
        gateway.runPendingTasks();
        assertThat(story).containsExactly("call first", "response 200", "call second");

        reply(1, "two");
        socket.callerReads();
        assertThat(answers()).extracting(Answer::body).containsExactly("one", "two");
    }

    @Test
    void expectContinueGets100ContinueBeforeTheBodyIsReadAndThenTheCallsResponse() throws Exception {
        open(GatewayLimits.defaults());

        send("POST /server/upload HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        assertThat(answers()).extracting(Answer::status).containsExactly(100);
        assertThat(story).containsExactly("response 100");

        send("hello");
        assertThat(story).containsExactly("response 100", "call upload with hello");
        assertThat(backend.events.get(0).headers()).extracting(HeaderField::name)
                .noneMatch(name -> name.equalsIgnoreCase("Expect"));
        reply(0, "stored");

        assertThat(answers()).extracting(Answer::status, Answer::body).containsExactly(
                tuple(100, ""), tuple(200, "stored"));
    }

    /**
     * A go-ahead belongs to its own request's turn: sent as the pipelined second request is decoded, it would land
     * before the first request's response and the caller would read it as that response.
     */
    @Test
    void aPipelinedRequestsExpectContinueIsSentOnlyAfterTheResponseToTheRequestBeforeIt() throws Exception {
        open(GatewayLimits.defaults());

        send("GET /server/first HTTP/1.1\r\nHost: gw\r\n\r\n"
                + "POST /server/upload HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        assertThat(story).containsExactly("call first");

        reply(0, "one");
        assertThat(story).containsExactly("call first", "response 200", "response 100");
        send("hello");
        reply(1, "stored");

        assertThat(answers()).extracting(Answer::status, Answer::body).containsExactly(
                tuple(200, "one"), tuple(100, ""), tuple(200, "stored"));
    }

    /**
     * A request whose head is refused by the decoder (here a Content-Length that is not a number), pipelined behind
     * a good one, must not cost the good one its response, whatever the body limit: the good one is answered, then
     * the bad one gets 400 and the connection closes.
     */
    @ParameterizedTest(name = "body limit {0}")
    @MethodSource("bodyLimits")
    void aMalformedRequestPipelinedBehindAGoodOneGets400AfterTheGoodOnesResponse(long maxBodyBytes)
            throws Exception {
        open(GatewayLimits.defaults().withMaxBodyBytes(maxBodyBytes));

        send("GET /server/first HTTP/1.1\r\nHost: gw\r\n\r\n"
                + "GET /healthz HTTP/1.1\r\nHost: gw\r\nContent-Length: /x/\r\n\r\n");
        reply(0, "one");

        assertThat(answers()).extracting(Answer::status, Answer::connection).containsExactly(
                tuple(200, "keep-alive"), tuple(400, "close"));
        gateway.runPendingTasks();
        assertThat(gateway.isOpen()).isFalse();
    }

    static Stream<Long> bodyLimits() {
        return Stream.of(0L, 16L);
    }

    /**
     * With the declared length over {@code maxBodyBytes}, the gateway knows its answer from the head alone: a
     * {@code 100 Continue} would only tell the caller to send a body that is then read and thrown away.
     */
    @Test
    void anOverLargeBodyWithExpectContinueGets413AtOnceAndNo100Continue() throws Exception {
        open(SMALL_BODIES);

        send("POST /server/upload HTTP/1.1\r\nHost: gw\r\nContent-Length: " + OVER_THE_LIMIT
                + "\r\nExpect: 100-continue\r\n\r\n");

        assertThat(answers()).as("responses to the head alone, the body not sent")
                .extracting(Answer::status, Answer::connection)
                .containsExactly(tuple(413, "close"));
        assertThat(backend.events).isEmpty();
    }

    static Stream<Arguments> outcomes() {
        List<Object[]> table = List.of(
                new Object[] {"target not found", new PipeException(PipeException.Kind.NOT_FOUND, "no alice"), 404},
                new Object[] {"several clients at the address",
                        new PipeException(PipeException.Kind.AMBIGUOUS, "alice, bob"), 409},
                new Object[] {"target not connected", new PipeException(PipeException.Kind.UNAVAILABLE, "down"), 503},
                new Object[] {"no reply before the deadline",
                        new PipeException(PipeException.Kind.DEADLINE_EXCEEDED, "late"), 504},
                new Object[] {"body larger than the peer takes",
                        new PipeException(PipeException.Kind.TOO_LARGE, "huge"), 413},
                new Object[] {"malformed request", new IllegalArgumentException("bad timeout"), 400},
                new Object[] {"call cancelled", new CancellationException("cancelled"), 503},
                new Object[] {"anything else", new IllegalStateException("broken"), 500});
        // Directly, and as the server's backend delivers it: through a stage composed on the target's look-up.
        return Stream.of(false, true).flatMap(composed -> table.stream()
                .map(row -> Arguments.of(row[0], row[1], row[2], composed)));
    }

    @ParameterizedTest(name = "{0} (composed stage: {3}) -> {2}")
    @MethodSource("outcomes")
    void aCallWhoseStartFailsGetsTheStatusOfTheOutcomeTable(String outcome, Throwable failure, int status,
                                                            boolean composed) throws Exception {
        backend.failStarts = composed
                ? CompletableFuture.<Void>failedFuture(failure).thenApply(resolved -> null)
                : CompletableFuture.failedFuture(failure);
        open(GatewayLimits.defaults());

        send("GET /server/time HTTP/1.1\r\nHost: gw\r\n\r\n");

        List<Answer> got = answers();
        assertThat(got).extracting(Answer::status).as(outcome).containsExactly(status);
        assertThat(got.get(0).body()).as("a JSON error naming the failure")
                .contains("\"status\":" + status).contains(failure.getMessage());
        assertThat(got.get(0).connection()).as("the connection serves the next request").isEqualTo("keep-alive");
    }

    private void open(GatewayLimits limits, ChannelOutboundHandlerAdapter... atTheSocket) throws Exception {
        gateway = GatewayChannels.gatewayChannel(GatewayRole.CLIENT, limits, backend, alloc);
        gateway.pipeline().addAfter(GatewayChannels.httpDecoderName(gateway.pipeline()), "story",
                new ResponsesWritten());
        for (ChannelOutboundHandlerAdapter handler : atTheSocket) {
            gateway.pipeline().addFirst(handler);
        }
        gateway.register();
    }

    /** The caller sends {@code text} in one go; the gateway handles it and whatever that set off on its loop. */
    private void send(String text) {
        gateway.writeInbound(alloc.copyOf(text.getBytes(StandardCharsets.US_ASCII)));
        gateway.runPendingTasks();
        gateway.checkException();
    }

    /** The backend answers its {@code call}-th call (from 0) with a 200 and {@code body}. */
    private void reply(int call, String body) {
        backend.replies.get(call).complete(new PipeReply(PipeReply.CODE_OK, 200, "text/plain", List.of(),
                body.getBytes(StandardCharsets.UTF_8)));
        gateway.runPendingTasks();
        gateway.checkException();
    }

    /** Every response the caller has received whole so far, in order. */
    private List<Answer> answers() {
        for (Object written; (written = gateway.readOutbound()) != null; ) {
            caller.writeInbound(written);
        }
        for (Object part; (part = caller.readInbound()) != null; ) {
            if (part instanceof HttpResponse response) {
                answering = new Answer.Builder(response.status().code(),
                        response.headers().get(HttpHeaderNames.CONNECTION));
            }
            if (part instanceof HttpContent content) {
                answering.body.append(content.content().toString(StandardCharsets.UTF_8));
            }
            if (part instanceof LastHttpContent) {
                answers.add(answering.build());
                answering = null;
            }
            ReferenceCountUtil.release(part);
        }
        return answers;
    }

    /** A response as the caller read it. */
    record Answer(int status, String connection, String body) {
        static final class Builder {
            final int status;
            final String connection;
            final StringBuilder body = new StringBuilder();

            Builder(int status, String connection) {
                this.status = status;
                this.connection = connection;
            }

            Answer build() {
                return new Answer(status, connection, body.toString());
            }
        }
    }

    /** Tells the story each response the gateway writes, a {@code 100 Continue} too, before it is encoded. */
    private final class ResponsesWritten extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof HttpResponse response) {
                story.add("response " + response.status().code());
            }
            ctx.write(msg, promise);
        }
    }

    /**
     * The caller's socket when the caller does not read: what the gateway writes stays here, counted against the
     * channel's write buffer as bytes the socket has not taken, until {@link #callerReads()}.
     */
    private static final class UnreadResponses extends ChannelOutboundHandlerAdapter {
        private ChannelHandlerContext ctx;
        private PendingWriteQueue unread;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            this.unread = new PendingWriteQueue(ctx);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            unread.add(msg, promise);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            // Nothing leaves until the caller reads.
        }

        void callerReads() {
            unread.removeAndWriteAll();
            ctx.flush();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            unread.removeAndFailAll(new ClosedChannelException());
        }
    }

    /**
     * Starts each call at once and leaves its reply to the test ({@link #replies}, in order of the calls), or fails
     * every start with {@link #failStarts} when that is set. Bodies in these tests are small, so they come inline.
     */
    private final class ScriptedBackend implements GatewayBackend {
        final List<PipeEvent> events = new ArrayList<>();
        final List<CompletableFuture<PipeReply>> replies = new ArrayList<>();
        CompletableFuture<PipeCall> failStarts;

        @Override
        public CompletableFuture<PipeCall> start(String target, PipeEvent event, boolean streamBody,
                                                 long contentLength) {
            if (failStarts != null) {
                return failStarts;
            }
            assertThat(streamBody).as("a body these tests send inline").isFalse();
            events.add(event);
            story.add("call " + event.noun() + (event.body().length == 0 ? ""
                    : " with " + new String(event.body(), StandardCharsets.UTF_8)));
            CompletableFuture<PipeReply> reply = new CompletableFuture<>();
            replies.add(reply);
            return CompletableFuture.completedFuture(new PipeCall(null, reply));
        }

        @Override
        public boolean isUp() {
            return true;
        }

        @Override
        public List<ConnectedPeer> clients() {
            return List.of();
        }

        @Override
        public String scrapeMetrics() {
            return null;
        }
    }
}
