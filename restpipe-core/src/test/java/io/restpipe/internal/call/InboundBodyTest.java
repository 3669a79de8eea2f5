package io.restpipe.internal.call;

import static io.restpipe.internal.call.StreamWindow.GRANT_THRESHOLD;
import static io.restpipe.internal.call.StreamWindow.INITIAL_CREDIT;
import static io.restpipe.internal.call.StreamWindow.MAX_CHUNK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameException;
import io.restpipe.internal.wire.FrameType;
import io.restpipe.internal.wire.proto.Credit;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The receiving end of a streamed body on an embedded channel (through {@link ChannelSink}, so the credit frames it
 * sends are read back as objects): delivery in order, pieces waiting for a consumer, credit granted back, a sender
 * past its credit, giving up, and the body's share of the memory budget.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InboundBodyTest {
    private static final int ID = 9;

    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final BodyMemory memory = new BodyMemory(64L << 20);
    private final List<String> discarded = new ArrayList<>();
    /** The bodies of a test, given up after it so that pieces still waiting in them are released. */
    private final List<InboundBody> bodies = new ArrayList<>();

    @AfterEach
    void releaseWhatIsLeft() {
        bodies.forEach(body -> body.abort("test over"));
        channel.finishAndReleaseAll();
    }

    /** A request body whose window was reserved from {@link #memory}, as the call state does before making one. */
    @Test
    void aBodyOpenedASecondTimeRefusesAtOnceInsteadOfLeavingItsReaderWaiting() throws Exception {
        InboundBody body = body();
        body.inputStream().close();
        assertThatThrownBy(body::inputStream).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("read once");
    }

    private InboundBody body() {
        return body(false);
    }

    private InboundBody body(boolean reply) {
        assertThat(memory.tryReserve(BodyMemory.STREAM_WINDOW)).isTrue();
        InboundBody body = new InboundBody(new ChannelSink(channel), ID, reply, 1234, memory, discarded::add);
        bodies.add(body);
        return body;
    }

    @Test
    void chunksAreDeliveredToTheSubscribedConsumerInOrder() {
        InboundBody body = body();
        Recorder consumer = subscribe(body);
        body.onChunk(text("one "), false);
        body.onChunk(text("two "), false);
        body.onChunk(text("three"), true);
        assertThat(consumer.seen).containsExactly("one ", "two ", "three", "end");
        assertThat(body.isDone()).isTrue();
        assertThat(body.contentLength()).isEqualTo(1234);
    }

    @Test
    void piecesArrivingBeforeSubscribeWaitAndAreDeliveredOnSubscribe() {
        InboundBody body = body();
        body.onChunk(text("early "), false);
        body.onChunk(text("bird"), false);
        body.onChunk(Unpooled.EMPTY_BUFFER, true);

        Recorder consumer = new Recorder();
        body.subscribe(consumer);
        assertThat(consumer.seen).as("delivery waits for the event loop").isEmpty();
        channel.runPendingTasks();
        assertThat(consumer.seen).containsExactly("early ", "bird", "end");

        body.onChunk(text("after the end"), false);
        assertThat(consumer.seen).containsExactly("early ", "bird", "end");
    }

    @Test
    void aPieceThatWaitsNoLongerPinsTheReadBufferItCameIn() {
        InboundBody body = body();
        ByteBuf readBuffer = channel.alloc().buffer(64).writeBytes(new byte[64]);
        body.onChunk(readBuffer.retainedSlice(10, 20), false);
        assertThat(readBuffer.refCnt()).isEqualTo(1);
        readBuffer.release();

        Recorder consumer = subscribe(body);
        assertThat(consumer.sizes).containsExactly(20);
    }

    @Test
    void creditIsGrantedBackOnlyOnceGrantThresholdBytesWereConsumed() {
        InboundBody body = body();
        body.consumed(GRANT_THRESHOLD - 1);
        assertThat(written()).isEmpty();

        body.consumed(1);
        assertThat(written()).singleElement().satisfies(frame -> {
            assertThat(frame.type()).isEqualTo(FrameType.CREDIT);
            assertThat(frame.id()).isEqualTo(ID);
            assertThat(frame.as(Credit.class).getBytes()).isEqualTo(GRANT_THRESHOLD);
            assertThat(frame.as(Credit.class).getReply()).isFalse();
        });

        body.consumed(10);
        assertThat(written()).isEmpty();
        body.consumed(GRANT_THRESHOLD);
        assertThat(written()).singleElement()
                .satisfies(frame -> assertThat(frame.as(Credit.class).getBytes()).isEqualTo(GRANT_THRESHOLD + 10));
    }

    @Test
    void creditForAReplyBodyCarriesTheReplyFlag() {
        InboundBody body = body(true);
        body.consumed(GRANT_THRESHOLD);
        assertThat(written()).singleElement().satisfies(frame -> {
            assertThat(frame.id()).isEqualTo(ID);
            assertThat(frame.as(Credit.class).getReply()).isTrue();
        });
    }

    @Test
    void aSenderThatSendsExactlyItsCreditIsAccepted() {
        InboundBody body = body();
        sendChunks(body, INITIAL_CREDIT);
        assertThat(body.isDone()).isFalse();
    }

    @Test
    void aSenderThatGoesPastItsCreditMakesOnChunkThrow() {
        InboundBody body = body();
        sendChunks(body, INITIAL_CREDIT);
        ByteBuf over = channel.alloc().buffer(1).writeByte(1);

        assertThatThrownBy(() -> body.onChunk(over, false))
                .isInstanceOf(FrameException.class)
                .hasMessageContaining("#" + ID)
                .hasMessageContaining("without credit");
        assertThat(over.refCnt()).isZero();
    }

    @Test
    void aSenderMaySendWhatWasGrantedBackButNotAByteMore() {
        InboundBody body = body();
        Recorder consumer = subscribe(body);
        sendChunks(body, INITIAL_CREDIT);
        body.consumed(GRANT_THRESHOLD);
        assertThat(written()).hasSize(1);

        sendChunks(body, GRANT_THRESHOLD);
        assertThatThrownBy(() -> body.onChunk(channel.alloc().buffer(1).writeByte(1), false))
                .isInstanceOf(FrameException.class);
        assertThat(consumer.total).isEqualTo(INITIAL_CREDIT + GRANT_THRESHOLD);
    }

    @Test
    void bytesConsumedButNotYetGrantedStillCountAgainstTheSender() {
        InboundBody body = body();
        subscribe(body);
        sendChunks(body, INITIAL_CREDIT);
        body.consumed(GRANT_THRESHOLD - 1);
        assertThat(written()).isEmpty();
        assertThatThrownBy(() -> body.onChunk(channel.alloc().buffer(1).writeByte(1), false))
                .isInstanceOf(FrameException.class);
    }

    @Test
    void abortTellsTheSubscribedConsumerAndDropsLaterChunks() {
        InboundBody body = body();
        Recorder consumer = subscribe(body);
        body.onChunk(text("part"), false);
        body.abort("cancelled by the caller");
        ByteBuf late = text("late");
        body.onChunk(late, false);

        assertThat(consumer.seen).containsExactly("part", "abort: cancelled by the caller");
        assertThat(late.refCnt()).isZero();
        assertThat(body.isDone()).isTrue();
    }

    @Test
    void abortReleasesWhatWaitsAndALaterConsumerHearsOnlyTheAbort() {
        InboundBody body = body();
        ByteBuf first = text("waiting ");
        ByteBuf second = text("too");
        body.onChunk(first, false);
        body.onChunk(second, false);

        body.abort("pipe closed");

        assertThat(first.refCnt()).isZero();
        assertThat(second.refCnt()).isZero();
        Recorder consumer = subscribe(body);
        assertThat(consumer.seen).containsExactly("abort: pipe closed");
    }

    @Test
    void abortOnLoopTellsTheConsumer() {
        InboundBody body = body();
        Recorder consumer = subscribe(body);
        body.abortOnLoop("the caller gave up");
        channel.runPendingTasks();
        assertThat(consumer.seen).containsExactly("abort: the caller gave up");
    }

    @Test
    void aBodyThatEndedIsNotAbortedAfterwards() {
        InboundBody body = body();
        Recorder consumer = subscribe(body);
        body.onChunk(text("whole"), true);
        body.abort("too late");
        body.abortOnLoop("too late");
        channel.runPendingTasks();
        assertThat(consumer.seen).containsExactly("whole", "end");
    }

    @Test
    void discardAbortsTheBodyAndTellsTheSenderOnce() {
        InboundBody body = body();
        Recorder consumer = subscribe(body);
        body.discard();
        body.discard();
        channel.runPendingTasks();
        assertThat(consumer.seen).containsExactly("abort: discarded by its receiver");
        assertThat(discarded).containsExactly("receiver discarded the body");
    }

    @Test
    void discardingABodyThatArrivedWholeReleasesItsPiecesWithoutTellingTheSender() {
        InboundBody body = body();
        ByteBuf piece = text("never read");
        body.onChunk(piece, true);
        body.discard();
        channel.runPendingTasks();
        assertThat(piece.refCnt()).isZero();
        assertThat(discarded).isEmpty();
        assertThat(memory.held()).isZero();
    }

    @Test
    void memoryIsHeldUntilTheBodyEndedAndWasWhollyConsumed() {
        InboundBody body = body();
        subscribe(body);
        body.onChunk(text("0123456789"), false);
        body.consumed(10);
        assertThat(memory.held()).as("consumed, but more may come").isEqualTo(BodyMemory.STREAM_WINDOW);

        body.onChunk(text("abcde"), true);
        assertThat(memory.held()).as("ended, but not yet consumed").isEqualTo(BodyMemory.STREAM_WINDOW);
        body.consumed(3);
        assertThat(memory.held()).isEqualTo(BodyMemory.STREAM_WINDOW);
        body.consumed(2);
        assertThat(memory.held()).isZero();
    }

    @Test
    void memoryIsReleasedAtTheEndWhenEverythingWasConsumedBefore() {
        InboundBody body = body();
        subscribe(body);
        body.onChunk(text("abc"), false);
        body.consumed(3);
        body.onChunk(Unpooled.EMPTY_BUFFER, true);
        assertThat(memory.held()).isZero();
    }

    @Test
    void memoryIsReleasedWhenTheBodyIsAbortedWithBytesUnconsumed() {
        InboundBody body = body();
        body.onChunk(text("never read"), false);
        body.abort("cancelled");
        assertThat(memory.held()).isZero();
    }

    @Test
    void memoryIsReleasedOnlyOnceHoweverTheBodyFinishes() {
        InboundBody body = body();
        subscribe(body);
        body.onChunk(text("abc"), true);
        body.consumed(3);
        body.abort("late");
        body.discard();
        channel.runPendingTasks();
        body.consumed(0);
        assertThat(memory.held()).isZero();
    }

    private Recorder subscribe(InboundBody body) {
        Recorder consumer = new Recorder();
        body.subscribe(consumer);
        channel.runPendingTasks();
        return consumer;
    }

    /** Sends {@code bytes} of body in chunks of at most {@link StreamWindow#MAX_CHUNK}, as a sender would. */
    private void sendChunks(InboundBody body, int bytes) {
        byte[] chunk = new byte[MAX_CHUNK];
        for (int left = bytes; left > 0; left -= MAX_CHUNK) {
            int size = Math.min(left, MAX_CHUNK);
            body.onChunk(channel.alloc().buffer(size).writeBytes(chunk, 0, size), false);
        }
    }

    private ByteBuf text(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return channel.alloc().buffer(bytes.length).writeBytes(bytes);
    }

    /** The frames the body sent since the last look; released. */
    private List<Frame> written() {
        channel.runPendingTasks();
        List<Frame> frames = new ArrayList<>();
        Object frame;
        while ((frame = channel.readOutbound()) != null) {
            ReferenceCountUtil.release(frame);
            frames.add((Frame) frame);
        }
        return frames;
    }

    /** A consumer that notes what it was told and releases each piece, leaving consumption to the test to report. */
    private static final class Recorder extends RecordingConsumer {
        final List<Integer> sizes = new ArrayList<>();
        long total;

        @Override
        public void onData(ByteBuf data) {
            try {
                sizes.add(data.readableBytes());
                total += data.readableBytes();
                if (data.readableBytes() < 64) {
                    seen.add(new String(ByteBufUtil.getBytes(data), StandardCharsets.UTF_8));
                }
            } finally {
                data.release();
            }
        }
    }
}
