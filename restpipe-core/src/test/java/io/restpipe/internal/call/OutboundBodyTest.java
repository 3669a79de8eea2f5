package io.restpipe.internal.call;

import static io.restpipe.internal.call.StreamWindow.INITIAL_CREDIT;
import static io.restpipe.internal.call.StreamWindow.MAX_CHUNK;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.restpipe.internal.wire.BodyChunkFrame;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameType;
import io.restpipe.internal.wire.proto.Cancel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sending end of a streamed body on an embedded channel (through {@link ChannelSink}, so the frames it writes
 * are read back as objects): credit, chunking, the end, giving up, waiting for room, and the gathering of a v1
 * peer's body.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OutboundBodyTest {
    private static final int ID = 7;
    private static final int KIB = 1024;
    private static final int MIB = 1024 * KIB;

    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final AtomicInteger finished = new AtomicInteger();
    /** Bytes handed to bodies so far; byte n of a body is {@code pattern(n)}. */
    private long produced;
    /** Body bytes read back from the channel so far, checked against the pattern in order. */
    private long received;
    private boolean lastSeen;

    /** The bodies of a test, given up after it so that the bytes still waiting in them are released. */
    private final List<OutboundBody> bodies = new ArrayList<>();

    @AfterEach
    void releaseWhatIsLeft() {
        bodies.forEach(body -> body.abort("test over"));
        channel.finishAndReleaseAll();
    }

    private OutboundBody body() {
        return kept(new OutboundBody(new ChannelSink(channel), ID, false, finished::incrementAndGet, null));
    }

    private OutboundBody kept(OutboundBody body) {
        bodies.add(body);
        return body;
    }

    @Test
    void aBodyWritesNoMoreThanTheInitialCreditUntilCreditIsGranted() {
        OutboundBody body = body();
        List<Boolean> roomAfter = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            roomAfter.add(body.write(bytes(MIB)));
        }

        Sent sent = sent();
        assertThat(sent.total()).isEqualTo(INITIAL_CREDIT);
        assertThat(sent.lastChunks()).isZero();
        // The fourth write used up the credit: the body said to stop there; the fifth waits whole.
        assertThat(roomAfter).containsExactly(true, true, true, false, false);
        assertThat(body.hasCredit()).isFalse();
        assertThat(finished).hasValue(0);
    }

    @Test
    void aGrantLetsExactlyThatMuchMoreLeaveInChunksOfAtMostMaxChunk() {
        OutboundBody body = body();
        body.write(bytes(INITIAL_CREDIT + 2 * MIB));
        Sent first = sent();
        assertThat(first.total()).isEqualTo(INITIAL_CREDIT);
        assertThat(first.sizes()).allSatisfy(size -> assertThat(size).isLessThanOrEqualTo(MAX_CHUNK));

        body.grant(600 * KIB);
        Sent second = sent();
        assertThat(second.sizes()).containsExactly(MAX_CHUNK, MAX_CHUNK, 600 * KIB - 2 * MAX_CHUNK);
        assertThat(body.hasCredit()).isFalse();

        body.grant(2 * MIB - 600 * KIB);
        Sent third = sent();
        assertThat(third.total()).isEqualTo(2 * MIB - 600 * KIB);
        assertThat(third.sizes()).allSatisfy(size -> assertThat(size).isLessThanOrEqualTo(MAX_CHUNK));
        assertThat(received).isEqualTo(produced);
        assertThat(third.lastChunks()).isZero();
    }

    @Test
    void creditGrantedBeforeItIsNeededLetsLaterWritesLeaveAtOnce() {
        OutboundBody body = body();
        body.grant(MIB);
        assertThat(body.write(bytes(INITIAL_CREDIT))).isTrue();
        assertThat(body.write(bytes(MIB))).isFalse();
        assertThat(sent().total()).isEqualTo(INITIAL_CREDIT + MIB);
    }

    @Test
    void theEndLeavesAsAnEmptyLastChunkOnceEveryWaitingByteWent() {
        OutboundBody body = body();
        body.write(bytes(INITIAL_CREDIT + 100));
        body.end();
        Sent beforeGrant = sent();
        assertThat(beforeGrant.total()).isEqualTo(INITIAL_CREDIT);
        assertThat(beforeGrant.lastChunks()).isZero();
        assertThat(finished).hasValue(0);

        body.grant(40);
        assertThat(sent().lastChunks()).isZero();
        body.grant(60);
        Sent afterGrant = sent();
        assertThat(afterGrant.sizes()).containsExactly(60, 0);
        assertThat(afterGrant.lastChunks()).isEqualTo(1);
        assertThat(finished).hasValue(1);

        body.grant(MIB);
        assertThat(sent().sizes()).isEmpty();
        assertThat(finished).hasValue(1);
    }

    @Test
    void aBodyWithNothingWaitingEndsAtOnce() {
        OutboundBody body = body();
        body.write(bytes(1000));
        body.end();
        body.end();
        Sent sent = sent();
        assertThat(sent.sizes()).containsExactly(1000, 0);
        assertThat(sent.lastChunks()).isEqualTo(1);
        assertThat(finished).hasValue(1);
    }

    @Test
    void chunksCarryTheCallIdAndWhetherTheyBelongToTheReply() {
        OutboundBody reply = new OutboundBody(new ChannelSink(channel), 0xFFFF_FFFE, true, () -> { }, null);
        reply.write(bytes(10));
        reply.end();
        channel.runPendingTasks();
        for (int i = 0; i < 2; i++) {
            BodyChunkFrame chunk = channel.readOutbound();
            try {
                assertThat(chunk.id()).isEqualTo(0xFFFF_FFFE);
                assertThat(chunk.reply()).isTrue();
                assertThat(chunk.last()).isEqualTo(i == 1);
            } finally {
                chunk.release();
            }
        }
    }

    @Test
    void aWriteAfterTheEndIsRefusedAndReleased() {
        OutboundBody body = body();
        body.end();
        ByteBuf late = bytes(10);
        assertThat(body.write(late)).isFalse();
        assertThat(late.refCnt()).isZero();
        assertThat(sent().sizes()).containsExactly(0);
    }

    @Test
    void failSendsACancelForTheCallAndReleasesTheBytesStillWaiting() {
        OutboundBody body = body();
        body.write(bytes(INITIAL_CREDIT));
        ByteBuf waiting = bytes(MIB);
        body.write(waiting);
        assertThat(sent().total()).isEqualTo(INITIAL_CREDIT);
        assertThat(waiting.refCnt()).isEqualTo(1);

        body.fail("upstream went away");

        assertThat(waiting.refCnt()).isZero();
        Sent sent = sent();
        assertThat(sent.sizes()).isEmpty();
        assertThat(sent.frames()).singleElement().satisfies(frame -> {
            assertThat(frame.type()).isEqualTo(FrameType.CANCEL);
            assertThat(frame.id()).isEqualTo(ID);
            assertThat(frame.as(Cancel.class).getReason()).isEqualTo("upstream went away");
        });
        assertThat(body.abortReason()).isEqualTo("upstream went away");
        assertThat(finished).hasValue(1);

        // Nothing more leaves: not on credit, not on end, not on a second fail.
        body.grant(INITIAL_CREDIT);
        body.end();
        body.fail("again");
        ByteBuf late = bytes(10);
        assertThat(body.write(late)).isFalse();
        assertThat(late.refCnt()).isZero();
        assertThat(sent().frames()).isEmpty();
        assertThat(finished).hasValue(1);
    }

    @Test
    void abortStopsTheBodyLocallyWithoutACancelAndReleasesWhatWaits() {
        OutboundBody body = body();
        body.write(bytes(INITIAL_CREDIT));
        ByteBuf waiting = bytes(100);
        body.write(waiting);
        sent();

        assertThat(body.abort("the reply arrived first")).isTrue();
        assertThat(body.abort("twice")).isFalse();

        assertThat(waiting.refCnt()).isZero();
        assertThat(sent().frames()).isEmpty();
        assertThat(body.abortReason()).isEqualTo("the reply arrived first");
        assertThat(finished).hasValue(1);
    }

    @Test
    void aBodyThatEndedCannotBeAbortedOrFailedAnyMore() {
        OutboundBody body = body();
        body.write(bytes(10));
        body.end();
        sent();
        assertThat(body.abort("too late")).isFalse();
        body.fail("too late");
        assertThat(sent().frames()).isEmpty();
        assertThat(body.abortReason()).isNull();
        assertThat(finished).hasValue(1);
    }

    @Test
    void whenCreditRunsAtOnceWhileThereIsRoom() {
        OutboundBody body = body();
        AtomicInteger ran = new AtomicInteger();
        body.whenCredit(ran::incrementAndGet);
        assertThat(ran).hasValue(1);
    }

    @Test
    void whenCreditWaitsForAGrantThatMakesRoomAndRunsOnce() {
        OutboundBody body = body();
        body.write(bytes(INITIAL_CREDIT));
        body.write(bytes(100));
        sent();
        AtomicInteger ran = new AtomicInteger();
        body.whenCredit(ran::incrementAndGet);
        assertThat(ran).hasValue(0);

        // Enough for what waits, not more: still no room.
        body.grant(100);
        assertThat(ran).hasValue(0);
        body.grant(1);
        assertThat(ran).hasValue(1);
        body.grant(MIB);
        assertThat(ran).hasValue(1);
        assertThat(sent().total()).isEqualTo(100);
    }

    @Test
    void whenCreditRunsOnAbortSoTheProducerNoticesAndStops() {
        OutboundBody body = body();
        body.write(bytes(INITIAL_CREDIT));
        sent();
        AtomicReference<String> seen = new AtomicReference<>("not run");
        body.whenCredit(() -> seen.set(body.abortReason()));
        body.fail("caller hung up");
        assertThat(seen).hasValue("caller hung up");

        AtomicInteger ran = new AtomicInteger();
        body.whenCredit(ran::incrementAndGet);
        assertThat(ran).hasValue(1);
    }

    @Test
    void awaitCreditAnswersAtOnceWhenThereIsRoomOrTheBodyWasAborted() throws Exception {
        OutboundBody roomy = body();
        assertThat(roomy.awaitCredit(0)).isTrue();

        OutboundBody full = body();
        full.write(bytes(INITIAL_CREDIT));
        assertThat(full.awaitCredit(0)).isFalse();
        assertThat(full.awaitCredit(1)).isFalse();
        full.abort("gone");
        assertThat(full.awaitCredit(TimeUnit.MINUTES.toNanos(1))).isFalse();
    }

    @Test
    void aProducerBlockedInAwaitCreditIsWokenByAGrant() throws Exception {
        OutboundBody body = body();
        body.write(bytes(INITIAL_CREDIT));
        sent();
        CompletableFuture<Boolean> room = awaitCreditOnAnotherThread(body);
        assertThat(room).isNotDone();

        body.grant(MAX_CHUNK);
        assertThat(room.get()).isTrue();
    }

    @Test
    void aProducerBlockedInAwaitCreditIsWokenByAnAbortAndToldToStop() throws Exception {
        OutboundBody body = body();
        body.write(bytes(INITIAL_CREDIT));
        sent();
        CompletableFuture<Boolean> room = awaitCreditOnAnotherThread(body);
        assertThat(room).isNotDone();

        body.abort("receiver stalled");
        assertThat(room.get()).isFalse();
    }

    @Test
    void aV1BodyIsGatheredWithoutCreditAndHandedOverWholeAtItsEnd() {
        AtomicReference<byte[]> whole = new AtomicReference<>();
        OutboundBody body = kept(new OutboundBody(new ChannelSink(channel), ID, true, finished::incrementAndGet,
                INITIAL_CREDIT + MIB, gathered -> {
                    whole.set(ByteBufUtil.getBytes(gathered));
                    gathered.release();
                }));
        assertThat(body.write(bytes(INITIAL_CREDIT))).isTrue();
        assertThat(body.write(bytes(MIB))).isTrue();
        assertThat(body.hasCredit()).isTrue();
        assertThat(sent().frames()).isEmpty();
        assertThat(whole).hasValue(null);

        body.end();

        assertThat(whole.get()).hasSize(INITIAL_CREDIT + MIB);
        for (int i = 0; i < whole.get().length; i++) {
            if (whole.get()[i] != pattern(i)) {
                throw new AssertionError("gathered byte " + i + " is out of order");
            }
        }
        assertThat(finished).hasValue(1);
        Sent sent = sent();
        assertThat(sent.sizes()).isEmpty();
        assertThat(sent.frames()).isEmpty();
    }

    @Test
    void aV1BodyPastItsCollectLimitIsGivenUpAsTooLargeAndReleased() {
        AtomicInteger collected = new AtomicInteger();
        OutboundBody body = kept(new OutboundBody(new ChannelSink(channel), ID, true, finished::incrementAndGet, 1000,
                gathered -> {
                    collected.incrementAndGet();
                    gathered.release();
                }));
        ByteBuf first = bytes(600);
        assertThat(body.write(first)).isTrue();
        ByteBuf second = bytes(401);
        assertThat(body.write(second)).isFalse();

        assertThat(body.abortReason()).isEqualTo(OutboundBody.TOO_LARGE);
        assertThat(first.refCnt()).isZero();
        assertThat(second.refCnt()).isZero();
        assertThat(finished).hasValue(1);
        body.end();
        assertThat(collected).hasValue(0);
        assertThat(finished).hasValue(1);
        // Giving up is the caller's to report (a 502 for a v1 peer): the body itself sends nothing.
        assertThat(sent().frames()).isEmpty();
    }

    @Test
    void aV1BodyOfExactlyItsCollectLimitIsStillHandedOver() {
        AtomicInteger length = new AtomicInteger(-1);
        OutboundBody body = kept(new OutboundBody(new ChannelSink(channel), ID, true, finished::incrementAndGet, 1000,
                gathered -> {
                    length.set(gathered.readableBytes());
                    gathered.release();
                }));
        assertThat(body.write(bytes(1000))).isTrue();
        body.end();
        assertThat(length).hasValue(1000);
        assertThat(body.abortReason()).isNull();
        assertThat(finished).hasValue(1);
    }

    @Test
    void anEmptyBufferWrittenOnceTheCreditRanOutIsReleasedWhenTheBodyEnds() {
        OutboundBody body = body();
        body.write(bytes(INITIAL_CREDIT));
        ByteBuf empty = channel.alloc().buffer(0);
        try {
            body.write(empty);
            body.end();
            Sent sent = sent();
            assertThat(sent.lastChunks()).isEqualTo(1);
            assertThat(finished).hasValue(1);
            // The body took ownership of the buffer; once it ended, nothing may still hold it.
            assertThat(empty.refCnt()).as("reference count of the empty buffer after the end").isZero();
        } finally {
            if (empty.refCnt() > 0) {
                empty.release();
            }
        }
    }

    private CompletableFuture<Boolean> awaitCreditOnAnotherThread(OutboundBody body) {
        CompletableFuture<Boolean> room = new CompletableFuture<>();
        Thread waiter = new Thread(() -> {
            try {
                room.complete(body.awaitCredit(TimeUnit.MINUTES.toNanos(1)));
            } catch (Throwable e) {
                room.completeExceptionally(e);
            }
        }, "awaits-credit");
        waiter.setDaemon(true);
        waiter.start();
        // The waiter parks on the body's condition; until it does, a grant would only prove it needs no waiting.
        while (waiter.getState() != Thread.State.TIMED_WAITING && !room.isDone()) {
            Thread.onSpinWait();
        }
        return room;
    }

    /** A buffer with the next {@code size} bytes of the pattern. */
    private ByteBuf bytes(int size) {
        // Whole arrays in and out: the leak detector at paranoid records every single access to a buffer.
        byte[] content = new byte[size];
        for (int i = 0; i < size; i++) {
            content[i] = pattern(produced++);
        }
        return channel.alloc().buffer(size).writeBytes(content);
    }

    private static byte pattern(long offset) {
        return (byte) (offset % 251);
    }

    /** What the body wrote since the last look, its chunks' bytes checked for order; every frame released. */
    private Sent sent() {
        channel.runPendingTasks();
        List<Integer> sizes = new ArrayList<>();
        List<Frame> frames = new ArrayList<>();
        int lastChunks = 0;
        Object written;
        while ((written = channel.readOutbound()) != null) {
            try {
                if (written instanceof BodyChunkFrame chunk) {
                    assertThat(chunk.id()).isEqualTo(ID);
                    assertThat(lastSeen).as("a chunk after the last one").isFalse();
                    byte[] data = ByteBufUtil.getBytes(chunk.content());
                    for (byte b : data) {
                        if (b != pattern(received++)) {
                            throw new AssertionError("body byte " + (received - 1) + " is out of order");
                        }
                    }
                    sizes.add(data.length);
                    if (chunk.last()) {
                        lastChunks++;
                        lastSeen = true;
                    }
                } else {
                    frames.add((Frame) written);
                }
            } finally {
                ReferenceCountUtil.release(written);
            }
        }
        return new Sent(sizes, lastChunks, frames);
    }

    private record Sent(List<Integer> sizes, int lastChunks, List<Frame> frames) {
        long total() {
            return sizes.stream().mapToLong(Integer::longValue).sum();
        }
    }
}
