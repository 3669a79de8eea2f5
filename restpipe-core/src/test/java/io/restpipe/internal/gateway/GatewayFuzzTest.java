package io.restpipe.internal.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCounted;
import io.restpipe.GatewayLimits;
import io.restpipe.PipeEvent;
import io.restpipe.PipeReply;
import io.restpipe.TrackingAllocator;
import io.restpipe.internal.call.CollectedBody;
import io.restpipe.internal.call.OutboundBody;
import io.restpipe.internal.call.PipeCall;
import io.restpipe.internal.directory.ConnectedPeer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of the gateway's request parsing (Jazzer): bytes from a caller into the pipeline
 * {@link GatewayInitializer} builds, on an {@link EmbeddedChannel} that reads only when the gateway asks, as its
 * sockets do, with a backend that answers at once ({@link FixedReplyBackend}). Without {@code JAZZER_FUZZ} this
 * replays the inputs under {@code src/test/resources/io/restpipe/gateway/GatewayFuzzTestInputs/<method>/}: the
 * seeds, and every input a fuzzing run found to break the property, kept there as a regression test.
 * {@code mvn verify} also fuzzes {@link #everyRequestParsedGetsExactlyOneResponse} for a bounded time in a JVM of
 * its own (the pom's surefire execution {@code fuzz}).
 *
 * <p>An input's last byte picks the gateway (bit 0: the server's, else the client's; bit 1: a body limit of
 * {@value #SMALL_BODY_LIMIT} bytes, else none) and its backend (bit 2: streamed calls answered before their body
 * is read, else once it ended), the one before it how many reads the rest is cut into, the bytes
 * before those the length of each read; whatever remains is what the caller sends. A request followed by two
 * zero bytes is therefore that request in one read to the client's gateway.
 */
class GatewayFuzzTest {
    static final long SMALL_BODY_LIMIT = 16;
    private static final int MAX_READS = 16;
    private static final byte[] REPLY_BODY = "{\"fuzz\":true}".getBytes(StandardCharsets.UTF_8);

    /**
     * Every request parsed whole gets exactly one response with a status (or came after one that said
     * {@code Connection: close}); no exception escapes the pipeline; the gateway never stops reading a connection
     * it keeps open while the caller still sends; nothing it allocated or wrote is left unreleased.
     */
    @FuzzTest(maxDuration = "20s")
    @DictionaryFile(resourcePath = "http.dict")
    void everyRequestParsedGetsExactlyOneResponse(FuzzedDataProvider data) {
        Conversation conversation = converse(data);
        conversation.assertNoLeaks();
        conversation.assertEveryParsedRequestAnsweredOnce();
    }

    /**
     * Everything {@link #everyRequestParsedGetsExactlyOneResponse} checks, and a 4xx to any request the decoder failed
     * on (unless the gateway had answered it before that failure was read, or had already said it would close): a
     * head that does not parse, a header too long, two Content-Lengths, Content-Length with Transfer-Encoding, a
     * chunked body that breaks off, an {@code X-Event-Timeout} too large for a {@code Duration}. Its inputs under
     * {@code GatewayFuzzTestInputs/} are what it found before the gateway answered them (crash-*) and what reading
     * the code found (known-*).
     */
    @FuzzTest(maxDuration = "20s")
    @DictionaryFile(resourcePath = "http.dict")
    void everyRequestEvenAMalformedOneGetsExactlyOneResponseAndA4xxIfMalformed(FuzzedDataProvider data) {
        Conversation conversation = converse(data);
        conversation.assertNoLeaks();
        conversation.assertEveryParsedRequestAnsweredOnce();
        conversation.assertMalformedRequestRefused();
    }

    /** Keeps the fuzz test honest: its probes see requests parsed, reads on demand and responses in turn. */
    @Test
    void probesSeePipelinedRequestsInSmallReadsAnsweredInTurnUntilConnectionClose() {
        Conversation conversation = converse(GatewayRole.SERVER, 0, false, ascii(
                "GET /client/alice/time HTTP/1.1\r\nHost: h\r\n\r\n"
                        + "POST /client/alice/cat HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                        + "HEAD /healthz HTTP/1.1\r\n\r\n"
                        + "GET /nowhere HTTP/1.1\r\nConnection: close\r\n\r\n"
                        + "GET /client/alice/never HTTP/1.1\r\n\r\n"), 7, 1, 30, 2, 40);

        assertThat(conversation.exchanges.requestsStarted).isEqualTo(5);
        assertThat(conversation.exchanges.requestsParsed).isEqualTo(5);
        assertThat(conversation.exchanges.finalStatuses).containsExactly(200, 200, 200, 404);
        assertThat(conversation.exchanges.firstClosingResponse).isEqualTo(3);
        assertThat(conversation.closedByGateway).isTrue();
        conversation.assertNoLeaks();
        conversation.assertEveryParsedRequestAnsweredOnce();
    }

    /** Runs one input through a fresh gateway and returns what happened, closed and with its buffers released. */
    private static Conversation converse(FuzzedDataProvider data) {
        int gateway = data.consumeInt(0, 7);
        GatewayRole role = (gateway & 1) == 0 ? GatewayRole.CLIENT : GatewayRole.SERVER;
        long maxBody = (gateway & 2) == 0 ? 0 : SMALL_BODY_LIMIT;
        boolean streamsAtOnce = (gateway & 4) != 0;
        int[] reads = new int[data.consumeInt(0, MAX_READS)];
        for (int i = 0; i < reads.length; i++) {
            reads[i] = data.consumeInt(1, 256);
        }
        return converse(role, maxBody, streamsAtOnce, data.consumeRemainingAsBytes(), reads);
    }

    /** Sends {@code stream} to a fresh gateway in reads of the given lengths (then the rest), as it asks for them. */
    static Conversation converse(GatewayRole role, long maxBody, boolean streamsAtOnce, byte[] stream,
                                 int... reads) {
        TrackingAllocator alloc = new TrackingAllocator();
        Conversation conversation = new Conversation(alloc);
        FixedReplyBackend backend = new FixedReplyBackend(streamsAtOnce, alloc);
        EmbeddedChannel channel = GatewayChannels.gatewayChannel(role,
                GatewayLimits.defaults().withMaxBodyBytes(maxBody), backend, alloc);
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addFirst("fuzz-reads", conversation.reads);
        pipeline.addAfter(GatewayChannels.httpDecoderName(pipeline), "fuzz-exchanges", conversation.exchanges);
        Deque<byte[]> pending = new ArrayDeque<>(cut(stream, reads));
        try {
            channel.register();
            while (true) {
                channel.runPendingTasks();
                channel.checkException();
                conversation.takeOutbound(channel);
                if (!channel.isOpen() || pending.isEmpty() || !conversation.reads.take()) {
                    break;
                }
                channel.writeInbound(alloc.copyOf(pending.poll()));
            }
        } catch (Throwable escaped) {
            throw new AssertionError("an exception escaped the gateway's pipeline", escaped);
        }
        conversation.stalledWithBytesUnread = channel.isOpen() ? pending.stream().mapToInt(b -> b.length).sum() : 0;
        conversation.closedByGateway = !channel.isOpen();
        channel.finishAndReleaseAll();
        conversation.takeOutbound(channel);
        backend.close();
        return conversation;
    }

    /** What one caller sent and got back. */
    static final class Conversation {
        final TrackingAllocator alloc;
        final ReadDemand reads = new ReadDemand();
        final Exchanges exchanges = new Exchanges();
        int stalledWithBytesUnread;
        boolean closedByGateway;

        Conversation(TrackingAllocator alloc) {
            this.alloc = alloc;
        }

        void takeOutbound(EmbeddedChannel channel) {
            for (Object out; (out = channel.readOutbound()) != null; ) {
                assertThat(out).as("what the gateway writes to the socket").isInstanceOf(ByteBuf.class);
                ((ByteBuf) out).release();
            }
        }

        void assertNoLeaks() {
            assertThat(alloc.unreleased()).as("buffers not released (%d handed out)", alloc.handedOut()).isEmpty();
            List<String> unreleasedResponses = new ArrayList<>();
            for (ReferenceCounted written : exchanges.writtenWithContent) {
                if (written.refCnt() > 0) {
                    unreleasedResponses.add(written.toString());
                }
            }
            assertThat(unreleasedResponses).as("messages written and never released by the HTTP encoder").isEmpty();
        }

        void assertEveryParsedRequestAnsweredOnce() {
            List<Integer> finals = exchanges.finalStatuses;
            String story = exchanges.story();
            assertThat(exchanges.statuses).as("status codes; %s", story).allMatch(code -> code >= 100 && code <= 599);
            assertThat(finals.size()).as("responses, never more than requests; %s", story)
                    .isLessThanOrEqualTo(exchanges.requestsStarted);
            int closing = exchanges.firstClosingResponse;
            if (closing >= 0) {
                assertThat(finals.size()).as("responses after one that said Connection: close; %s", story)
                        .isEqualTo(closing + 1);
                assertThat(closedByGateway).as("connection closed after Connection: close; %s", story).isTrue();
            } else {
                assertThat(finals.size()).as("responses to the %d requests parsed whole; %s",
                        exchanges.requestsParsed, story).isGreaterThanOrEqualTo(exchanges.requestsParsed);
            }
            assertThat(stalledWithBytesUnread).as("bytes left unread on a connection the gateway neither reads "
                    + "nor closes; %s", story).isZero();
        }

        void assertMalformedRequestRefused() {
            int malformed = exchanges.malformedRequest;
            int closing = exchanges.firstClosingResponse;
            if (malformed < 0 || exchanges.answeredBeforeMalformed || (closing >= 0 && closing < malformed)) {
                return;
            }
            String story = exchanges.story();
            assertThat(exchanges.finalStatuses).as("a response to malformed request #%d; %s", malformed + 1, story)
                    .hasSizeGreaterThan(malformed);
            assertThat(exchanges.finalStatuses.get(malformed))
                    .as("status of the response to malformed request #%d; %s", malformed + 1, story)
                    .isBetween(400, 499);
        }
    }

    /** Stands in for the socket's read interest: set when a handler asks for a read, spent by each read. */
    private static final class ReadDemand extends ChannelDuplexHandler {
        private boolean wanted;

        @Override
        public void read(ChannelHandlerContext ctx) {
            wanted = true;
            ctx.read();
        }

        boolean take() {
            boolean was = wanted;
            wanted = false;
            return was;
        }
    }

    /**
     * Sits right after the HTTP decoder: counts the requests it decodes (started, and parsed whole with their
     * body), and the responses written back whose write succeeded.
     */
    static final class Exchanges extends ChannelDuplexHandler {
        int requestsStarted;
        int requestsParsed;
        /** Whether the request being decoded has parsed cleanly so far. */
        private boolean currentClean;
        /** The index of the request the decoder failed on (after which it decodes nothing), or -1. */
        int malformedRequest = -1;
        /** Whether that request had been answered before its failure was decoded. */
        boolean answeredBeforeMalformed;
        final List<Integer> statuses = new ArrayList<>();
        final List<Integer> finalStatuses = new ArrayList<>();
        int firstClosingResponse = -1;
        final List<ReferenceCounted> writtenWithContent = new ArrayList<>();
        private final StringBuilder events = new StringBuilder();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest request) {
                requestsStarted++;
                currentClean = request.decoderResult().isSuccess();
                // Cut off by the caller closing: nobody is left to answer.
                if (!currentClean && !(request.decoderResult().cause() instanceof PrematureChannelClosureException)) {
                    malformed(requestsStarted - 1);
                }
                events.append(" req(").append(request.method()).append(' ').append(abbreviate(request.uri()))
                        .append(currentClean ? "" : " FAILED").append(')');
            }
            if (msg instanceof LastHttpContent last) {
                if (last.decoderResult().isFailure()
                        && !(last.decoderResult().cause() instanceof PrematureChannelClosureException)) {
                    malformed(requestsStarted - 1);
                }
                boolean clean = currentClean && last.decoderResult().isSuccess();
                if (clean) {
                    requestsParsed++;
                }
                currentClean = false;
                events.append(clean ? " end" : " end(FAILED)");
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBufHolder holder && holder.content().capacity() > 0) {
                writtenWithContent.add(holder);
            }
            if (msg instanceof HttpResponse response) {
                int code = response.status().code();
                boolean closing = response.headers()
                        .containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true);
                ChannelPromise written = promise.unvoid();
                written.addListener(f -> {
                    if (f.isSuccess()) {
                        responded(code, closing);
                    } else {
                        events.append(" resp(").append(code).append(" NOT WRITTEN: ").append(f.cause()).append(')');
                    }
                });
                ctx.write(msg, written);
                return;
            }
            ctx.write(msg, promise);
        }

        private void malformed(int request) {
            if (malformedRequest < 0) {
                malformedRequest = request;
                answeredBeforeMalformed = finalStatuses.size() > request;
            }
        }

        private void responded(int code, boolean closing) {
            statuses.add(code);
            events.append(" resp(").append(code).append(closing ? " close" : "").append(')');
            if (code >= 200) {
                finalStatuses.add(code);
                if (closing && firstClosingResponse < 0) {
                    firstClosingResponse = finalStatuses.size() - 1;
                }
            }
        }

        String story() {
            return "requests started " + requestsStarted + ", parsed whole " + requestsParsed + ":" + events;
        }

        private static String abbreviate(String text) {
            return text.length() <= 40 ? text : text.substring(0, 40) + "...";
        }
    }

    /**
     * Answers every call with the same small reply: at once when its body came inline; a call whose body streams
     * is answered once that body has ended (or was given up), unless {@code streamsAtOnce}, which answers it before
     * the gateway has read any of its body. It never looks at the request.
     */
    private static final class FixedReplyBackend implements GatewayBackend {
        private static final PipeReply REPLY = new PipeReply(PipeReply.CODE_OK, 200, "application/json",
                List.of(), REPLY_BODY);
        private final boolean streamsAtOnce;
        /** Lends streamed bodies its allocator, and takes the Cancel frames of those given up. */
        private final EmbeddedChannel pipe;

        FixedReplyBackend(boolean streamsAtOnce, ByteBufAllocator alloc) {
            this.streamsAtOnce = streamsAtOnce;
            this.pipe = new EmbeddedChannel();
            pipe.config().setAllocator(alloc);
        }

        @Override
        public CompletableFuture<PipeCall> start(String target, PipeEvent event, boolean streamBody,
                                                 long contentLength) {
            if (!streamBody) {
                return CompletableFuture.completedFuture(new PipeCall(null, CompletableFuture.completedFuture(REPLY)));
            }
            CompletableFuture<PipeReply> reply = streamsAtOnce
                    ? CompletableFuture.completedFuture(REPLY) : new CompletableFuture<>();
            OutboundBody body = CollectedBody.collecting(pipe, bytes -> reply.complete(REPLY));
            return CompletableFuture.completedFuture(new PipeCall(body, reply));
        }

        @Override
        public boolean isUp() {
            return true;
        }

        @Override
        public List<ConnectedPeer> clients() {
            return List.of(new ConnectedPeer("fuzz-client", new java.net.InetSocketAddress("127.0.0.1", 4000),
                    java.time.Instant.EPOCH, null, 0));
        }

        @Override
        public String scrapeMetrics() {
            return "# fuzz\n";
        }

        void close() {
            pipe.finishAndReleaseAll();
        }
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** The stream cut into reads of the given lengths, then one read of the rest (if any). */
    private static List<byte[]> cut(byte[] stream, int[] reads) {
        List<byte[]> pieces = new ArrayList<>();
        int offset = 0;
        for (int length : reads) {
            int end = Math.min(stream.length, offset + length);
            if (end > offset) {
                pieces.add(Arrays.copyOfRange(stream, offset, end));
            }
            offset = end;
        }
        if (offset < stream.length) {
            pieces.add(Arrays.copyOfRange(stream, offset, stream.length));
        }
        return pieces;
    }
}
