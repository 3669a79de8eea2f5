package io.restpipe.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.restpipe.PipeSettings;
import io.restpipe.TrackingAllocator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Coverage-guided fuzzing of {@link FrameDecoder} (Jazzer). Without {@code JAZZER_FUZZ} this replays the inputs
 * under {@code src/test/resources/io/restpipe/wire/FrameDecoderFuzzTestInputs/<method>/}: the seeds, and every
 * input a fuzzing run found to break the property, kept there as a regression test. {@code mvn verify} also fuzzes
 * it for a bounded time in a JVM of its own (the pom's surefire execution {@code fuzz}).
 *
 * <p>An input's last byte picks the payload limit, the one before it how many reads the rest is cut into, the bytes
 * before those the length of each read; whatever remains is the stream. A stream followed by two zero bytes is
 * therefore that stream in one read under the default limit.
 */
class FrameDecoderFuzzTest {
    /** The default first, so that a seed needs no control bytes but zeros; then limits that most frames break. */
    private static final int[] LIMITS = {PipeSettings.DEFAULT_MAX_FRAME_PAYLOAD, 1024, 16, 1, 0};
    private static final int MAX_READS = 16;

    /**
     * Whatever the bytes, the decoder emits frames (body chunks within the limit), or fails once with a
     * {@link FrameException} and emits nothing after it; no other exception, no error (an OutOfMemoryError would be
     * one), no buffer left unreleased once its frames are released and the channel closed, and the same frames and
     * failure however the bytes are cut into reads.
     */
    @FuzzTest(maxDuration = "20s")
    void decoderEmitsFramesOrFailsOnceWithFrameExceptionHoweverTheBytesAreSplit(FuzzedDataProvider data) {
        int limit = LIMITS[data.consumeInt(0, LIMITS.length - 1)];
        int[] reads = new int[data.consumeInt(0, MAX_READS)];
        for (int i = 0; i < reads.length; i++) {
            reads[i] = data.consumeInt(1, 256);
        }
        byte[] stream = data.consumeRemainingAsBytes();

        Outcome whole = decode(limit, stream, new int[0]);
        Outcome split = decode(limit, stream, reads);
        assertThat(split).as("the same bytes in reads of %s", Arrays.toString(reads)).isEqualTo(whole);
    }

    /** What the decoder made of a stream: the frames it emitted, and the failure it stopped at (or null). */
    private record Outcome(List<String> frames, String failure) {
    }

    /** Feeds {@code stream} in reads of the given lengths (then the rest), checking the property as it goes. */
    private static Outcome decode(int limit, byte[] stream, int[] reads) {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        channel.pipeline().addLast(new FrameDecoder(limit));

        List<String> frames = new ArrayList<>();
        String failure = null;
        for (byte[] read : cut(stream, reads)) {
            boolean failedBefore = failure != null;
            int emittedBefore = frames.size();
            try {
                channel.writeInbound(alloc.copyOf(read));
            } catch (DecoderException e) {
                if (!(e instanceof FrameException) && !(e.getCause() instanceof FrameException)) {
                    throw new AssertionError("the decoder failed with something else than a FrameException", e);
                }
                assertThat(failure).as("a second failure after the first (%s)", failure).isNull();
                failure = e.getMessage();
            }
            takeFrames(channel, limit, frames);
            if (failedBefore) {
                assertThat(frames).as("frames decoded after the decoder failed").hasSize(emittedBefore);
            }
        }
        // After a failure, or with a frame cut short, the pipe is closed: that must go quietly.
        channel.finish();
        takeFrames(channel, limit, frames);
        assertThat(alloc.unreleased()).as("buffers not released (%d handed out)", alloc.handedOut()).isEmpty();
        return new Outcome(frames, failure);
    }

    /** The stream cut into reads of the given lengths, then one read of the rest. */
    private static List<byte[]> cut(byte[] stream, int[] reads) {
        List<byte[]> pieces = new ArrayList<>();
        int offset = 0;
        for (int length : reads) {
            int end = Math.min(stream.length, offset + length);
            pieces.add(Arrays.copyOfRange(stream, offset, end));
            offset = end;
        }
        pieces.add(Arrays.copyOfRange(stream, offset, stream.length));
        return pieces;
    }

    /** Describes and releases every frame the decoder emitted. */
    private static void takeFrames(EmbeddedChannel channel, int limit, List<String> frames) {
        for (Object msg; (msg = channel.readInbound()) != null; ) {
            if (msg instanceof BodyChunkFrame chunk) {
                try {
                    assertThat(chunk.content().readableBytes()).as("body chunk data").isLessThanOrEqualTo(limit);
                    frames.add(chunk + " " + ByteBufUtil.hexDump(chunk.content()));
                } finally {
                    chunk.release();
                }
            } else if (msg instanceof Frame frame) {
                frames.add(frame + " flags=" + frame.flags() + " "
                        + HexFormat.of().formatHex(frame.message().toByteArray()));
            } else {
                throw new AssertionError("the decoder emitted " + msg.getClass().getName());
            }
        }
    }
}
