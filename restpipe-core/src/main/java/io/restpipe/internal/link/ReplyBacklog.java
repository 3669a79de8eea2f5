package io.restpipe.internal.link;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.ScheduledFuture;
import io.restpipe.internal.util.CloseReason;
import io.restpipe.internal.util.RepeatedLog;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameType;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds what a peer can make this side queue by asking and never reading the answers: counts the bytes of replies
 * (heartbeat replies, event replies, hello replies) written but not yet taken by the socket, once the socket has
 * stopped taking writes as fast as they come. Past the limit it
 * stops reading from the peer, so its requests stop arriving; below half it reads again. A peer still past the limit
 * after the grace period is not reading at all: its pipe is closed. Bodies are not counted: their credit bounds
 * them, and counting them could stop both ends of a busy pipe reading at once. Event loop only.
 */
final class ReplyBacklog extends ChannelOutboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ReplyBacklog.class);
    private static final RepeatedLog pauses = new RepeatedLog(log, org.slf4j.event.Level.WARN, Duration.ofSeconds(10));

    /**
     * What a queued write costs beyond its bytes (Netty's outbound entry, its promise and listener): without it a
     * flood of 10-byte heartbeat replies would count a tenth of the memory it takes.
     */
    static final int QUEUED_WRITE_OVERHEAD = 128;

    private final long limit;
    private final Duration grace;
    private long queued;
    private boolean paused;
    private long takenWhilePaused;
    private ScheduledFuture<?> closer;

    ReplyBacklog(long limit, Duration grace) {
        this.limit = limit;
        this.grace = grace;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        // While the socket takes what is written (the channel is writable), less than its write buffer's high mark
        // waits: only replies written past that are counted, which keeps the usual path free of a listener per reply.
        if (msg instanceof Frame frame && isReply(frame.type()) && (paused || !ctx.channel().isWritable())) {
            long size = QUEUED_WRITE_OVERHEAD + Frame.HEADER_LENGTH + frame.message().getSerializedSize();
            queued += size;
            ChannelPromise counted = promise.unvoid();
            counted.addListener(done -> taken(ctx, size));
            ctx.write(msg, counted);
            if (queued > limit && !paused) {
                pause(ctx);
            }
            return;
        }
        ctx.write(msg, promise);
    }

    private static boolean isReply(FrameType type) {
        return type == FrameType.HEARTBEAT_REPLY || type == FrameType.EVENT_REPLY || type == FrameType.HELLO_REPLY;
    }

    private void pause(ChannelHandlerContext ctx) {
        paused = true;
        ReadPauses.of(ctx.channel()).pause(ReadPauses.BACKLOG);
        pauses.log("backlog", "pipe to " + ctx.channel().remoteAddress() + ": "
                + queued + " bytes of replies wait for a peer that is not reading them (limit " + limit
                + ", --max-queued-bytes): not reading from it until it takes them");
        takenWhilePaused = 0;
        closer = ctx.executor().schedule(() -> closeIfStuck(ctx), grace.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** A peer that took some of its replies is slow, not stuck: it gets another grace period. */
    private void closeIfStuck(ChannelHandlerContext ctx) {
        if (!paused) {
            return;
        }
        if (takenWhilePaused > 0) {
            takenWhilePaused = 0;
            closer = ctx.executor().schedule(() -> closeIfStuck(ctx), grace.toNanos(), TimeUnit.NANOSECONDS);
            return;
        }
        CloseReason.close(ctx.channel(), "the peer took none of its replies for " + grace.toMillis()
                + " ms (" + queued + " bytes queued, --max-queued-bytes " + limit + ")");
    }

    private void taken(ChannelHandlerContext ctx, long size) {
        queued -= size;
        takenWhilePaused += size;
        if (paused && queued <= limit / 2) {
            paused = false;
            closer.cancel(false);
            ReadPauses.of(ctx.channel()).resume(ReadPauses.BACKLOG);
        }
    }
}
