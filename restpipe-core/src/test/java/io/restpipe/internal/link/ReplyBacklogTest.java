package io.restpipe.internal.link;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.restpipe.internal.metrics.PipeMetrics;
import io.restpipe.internal.util.CloseReason;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.proto.Event;
import io.restpipe.internal.wire.proto.Heartbeat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A peer that asks and never reads the answers: its heartbeat and event replies pile up, and it pays for it. */
class ReplyBacklogTest {
    private static final Duration GRACE = Duration.ofSeconds(5);
    /** Eleven heartbeat replies (10 bytes and the bookkeeping of a queued write each) are past it. */
    private static final int LIMIT = 10 * (10 + ReplyBacklog.QUEUED_WRITE_OVERHEAD);

    /** A socket nobody reads from: writes never complete until {@link #drain}, and the channel is not writable. */
    private static final class StuckSocket extends ChannelOutboundHandlerAdapter {
        final List<ChannelPromise> pending = new ArrayList<>();
        private EmbeddedChannel channel;

        void stick(EmbeddedChannel stuck) {
            channel = stuck;
            channel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ReferenceCountUtil.release(msg);
            pending.add(promise);
        }

        void drain() {
            if (channel.isOpen()) {
                channel.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
            }
            pending.forEach(ChannelPromise::setSuccess);
            pending.clear();
        }
    }

    private final StuckSocket socket = new StuckSocket();

    private EmbeddedChannel channel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(socket, new ReplyBacklog(LIMIT, GRACE),
                new HeartbeatHandler(false, Duration.ofHours(1), Duration.ofHours(1), PipeMetrics.discarding()));
        socket.stick(channel);
        return channel;
    }

    private static void heartbeats(EmbeddedChannel channel, int count) {
        for (int i = 0; i < count; i++) {
            channel.writeInbound(Frame.of(i, Heartbeat.getDefaultInstance()));
        }
    }

    @Test
    void stopsReadingFromAPeerPastTheLimitAndReadsAgainOnceItTakesItsReplies() {
        EmbeddedChannel channel = channel();
        heartbeats(channel, 10);
        assertThat(channel.config().isAutoRead()).as("ten replies queued: at the limit, not past it").isTrue();
        heartbeats(channel, 1);
        assertThat(channel.config().isAutoRead()).as("past the limit").isFalse();

        socket.drain();
        assertThat(channel.config().isAutoRead()).isTrue();
        assertThat(channel.isActive()).isTrue();
        channel.advanceTimeBy(GRACE.toMillis() * 2, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).as("it took its replies in time").isTrue();
        channel.finishAndReleaseAll();
    }

    @Test
    void closesThePipeOfAPeerThatTakesNoRepliesForTheGracePeriod() {
        EmbeddedChannel channel = channel();
        heartbeats(channel, 20);
        assertThat(channel.config().isAutoRead()).isFalse();
        channel.advanceTimeBy(GRACE.toMillis() - 1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).isTrue();
        channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).isFalse();
        assertThat(CloseReason.of(channel, null)).contains("took none of its replies")
                .contains("--max-queued-bytes");
        socket.drain();
        channel.finishAndReleaseAll();
    }

    @Test
    void aPeerThatTakesSomeOfItsRepliesIsSlowNotStuckAndKeepsItsPipe() {
        EmbeddedChannel channel = channel();
        heartbeats(channel, 20);
        assertThat(channel.config().isAutoRead()).isFalse();
        socket.pending.remove(0).setSuccess();
        channel.advanceTimeBy(GRACE.toMillis(), TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).as("it took one reply within the grace period").isTrue();
        channel.advanceTimeBy(GRACE.toMillis(), TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).as("then none for a whole grace period").isFalse();
        socket.drain();
        channel.finishAndReleaseAll();
    }

    @Test
    void ownCallsAreNotCountedAsReplies() {
        EmbeddedChannel channel = channel();
        for (int i = 0; i < 50; i++) {
            channel.writeAndFlush(Frame.of(2 * i, Event.newBuilder().setVerb("GET").setNoun("time").build()));
        }
        assertThat(channel.config().isAutoRead()).isTrue();
        socket.drain();
        channel.finishAndReleaseAll();
    }
}
