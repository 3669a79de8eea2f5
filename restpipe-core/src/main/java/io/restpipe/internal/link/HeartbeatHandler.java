package io.restpipe.internal.link;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import io.restpipe.internal.metrics.PipeMetrics;
import io.restpipe.internal.util.CloseReason;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameType;
import io.restpipe.internal.wire.proto.Heartbeat;
import io.restpipe.internal.wire.proto.HeartbeatReply;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a pipe honest: answers the peer's heartbeats and sends one every interval to measure the round trip.
 * The client drops the pipe when a reply is later than the timeout and nothing else arrived meanwhile either; the
 * server instead drops a silent pipe through the {@link io.netty.handler.timeout.IdleStateHandler} placed before this
 * one. Event loop only.
 */
final class HeartbeatHandler extends ChannelDuplexHandler {
    private static final HeartbeatReply REPLY = HeartbeatReply.getDefaultInstance();
    private static final Heartbeat BEAT = Heartbeat.getDefaultInstance();
    /**
     * More heartbeats than this from a peer within one second is a flood, not a heartbeat (that would be an interval
     * of 10 ms): each one costs an answer.
     */
    static final int MAX_PEER_BEATS_PER_SECOND = 100;

    private final boolean dropWhenLate;
    private final long intervalNanos;
    private final long timeoutNanos;
    private final PipeMetrics metrics;
    private ScheduledFuture<?> ticker;
    private int nextId = 1;
    private long oldestUnansweredNanos = -1;
    /** When the last frame of any kind arrived. */
    private long lastHeardNanos = Long.MIN_VALUE / 2;
    /** When the last heartbeat reply arrived. */
    private long lastReplyNanos = Long.MIN_VALUE / 2;
    private volatile long lastRttNanos = -1;
    private long peerBeatsSince = Long.MIN_VALUE / 2;
    private int peerBeats;
    /** Probes waiting for the peer's next heartbeat reply. */
    private final java.util.List<CompletableFuture<Boolean>> probes = new java.util.ArrayList<>();

    /** @param dropWhenLate true on the client, which drops the pipe when a reply is later than {@code timeout} */
    HeartbeatHandler(boolean dropWhenLate, Duration interval, Duration timeout, PipeMetrics metrics) {
        this.dropWhenLate = dropWhenLate;
        this.intervalNanos = interval.toNanos();
        this.timeoutNanos = timeout.toNanos();
        this.metrics = metrics;
    }

    /** The last heartbeat round-trip time, or {@code null} before the first reply. */
    Duration lastRtt() {
        long rtt = lastRttNanos;
        return rtt < 0 ? null : Duration.ofNanos(rtt);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent handshake && handshake.isSuccess()) {
            ticker = ctx.executor().scheduleAtFixedRate(() -> tick(ctx), 0, Math.min(intervalNanos,
                    timeoutNanos), TimeUnit.NANOSECONDS);
        } else if (evt instanceof IdleStateEvent) {
            CloseReason.close(ctx.channel(), "peer silent for " + (2 * intervalNanos / 1_000_000) + " ms");
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void tick(ChannelHandlerContext ctx) {
        long now = ctx.executor().ticker().nanoTime();
        // Late only if nothing else arrived either: on a slow link a heartbeat reply waits behind a body's credit
        // window, while the body's own pieces keep arriving.
        if (dropWhenLate && oldestUnansweredNanos >= 0 && now - oldestUnansweredNanos >= timeoutNanos
                && now - lastHeardNanos >= timeoutNanos) {
            CloseReason.close(ctx.channel(), "no heartbeat reply within "
                    + (timeoutNanos / 1_000_000) + " ms");
            return;
        }
        if (oldestUnansweredNanos < 0) {
            oldestUnansweredNanos = now;
        }
        ctx.writeAndFlush(Frame.of(nextId++, BEAT));
    }

    /**
     * Sends a heartbeat now and completes with true when the peer answers one within {@code wait}, false when it
     * does not (or the pipe closes). Event loop only.
     */
    CompletableFuture<Boolean> probe(ChannelHandlerContext ctx, Duration wait) {
        if (ctx.executor().ticker().nanoTime() - lastReplyNanos < wait.toNanos()) {
            // It answered within the probe's time already: as good as an answer to this one, and no heartbeat of
            // ours for each of a flood of newcomers claiming this pipe's name.
            return CompletableFuture.completedFuture(true);
        }
        probes.removeIf(CompletableFuture::isDone);
        if (!probes.isEmpty()) {
            // One probe at a time: a flood of newcomers claiming this pipe's name must not become a heartbeat flood
            // of ours, which the peer would rightly cut off.
            return probes.get(0);
        }
        CompletableFuture<Boolean> answered = new CompletableFuture<>();
        probes.add(answered);
        ScheduledFuture<?> timeout = ctx.executor().schedule(() -> answered.complete(false), wait.toNanos(),
                TimeUnit.NANOSECONDS);
        answered.whenComplete((alive, error) -> timeout.cancel(false));
        ctx.writeAndFlush(Frame.of(nextId++, BEAT));
        return answered;
    }

    /** True once the peer's heartbeats in the current second pass {@link #MAX_PEER_BEATS_PER_SECOND}. */
    private boolean floods(ChannelHandlerContext ctx) {
        long now = ctx.executor().ticker().nanoTime();
        if (now - peerBeatsSince >= 1_000_000_000L) {
            peerBeatsSince = now;
            peerBeats = 0;
        }
        return ++peerBeats > MAX_PEER_BEATS_PER_SECOND;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastHeardNanos = ctx.executor().ticker().nanoTime();
        if (msg instanceof Frame frame) {
            if (frame.type() == FrameType.HEARTBEAT) {
                if (floods(ctx)) {
                    CloseReason.close(ctx.channel(), "the peer sent more than " + MAX_PEER_BEATS_PER_SECOND
                            + " heartbeats within a second (a peer sends one per heartbeat interval): a flood");
                    return;
                }
                ctx.writeAndFlush(Frame.of(frame.id(), REPLY));
                return;
            }
            if (frame.type() == FrameType.HEARTBEAT_REPLY) {
                lastReplyNanos = ctx.executor().ticker().nanoTime();
                probes.forEach(probe -> probe.complete(true));
                probes.clear();
                if (oldestUnansweredNanos >= 0) {
                    long rtt = ctx.executor().ticker().nanoTime() - oldestUnansweredNanos;
                    lastRttNanos = rtt;
                    metrics.heartbeatRtt(Duration.ofNanos(rtt));
                    oldestUnansweredNanos = -1;
                }
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (ticker != null) {
            ticker.cancel(false);
        }
        probes.forEach(probe -> probe.complete(false));
        probes.clear();
        ctx.fireChannelInactive();
    }
}
