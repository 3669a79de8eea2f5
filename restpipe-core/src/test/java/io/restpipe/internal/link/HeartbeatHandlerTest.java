package io.restpipe.internal.link;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.restpipe.internal.metrics.PipeMetrics;
import io.restpipe.internal.util.CloseReason;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameType;
import io.restpipe.internal.wire.proto.Heartbeat;
import io.restpipe.internal.wire.proto.HeartbeatReply;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HeartbeatHandlerTest {
    private static final Duration INTERVAL = Duration.ofSeconds(5);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static EmbeddedChannel clientChannel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(new HeartbeatHandler(true, INTERVAL, TIMEOUT, PipeMetrics.discarding()));
        channel.pipeline().fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
        channel.runPendingTasks();
        return channel;
    }

    @Test
    void clientSendsAHeartbeatEveryInterval() {
        EmbeddedChannel channel = clientChannel();
        assertThat(((Frame) channel.readOutbound()).type()).isEqualTo(FrameType.HEARTBEAT);
        channel.writeInbound(Frame.of(1, HeartbeatReply.getDefaultInstance()));

        channel.advanceTimeBy(INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(((Frame) channel.readOutbound()).type()).isEqualTo(FrameType.HEARTBEAT);
        assertThat(channel.isActive()).isTrue();
        channel.finishAndReleaseAll();
    }

    @Test
    void clientDropsThePipeWhenNoReplyComesWithinTheTimeout() {
        EmbeddedChannel channel = clientChannel();
        channel.readOutbound();

        channel.advanceTimeBy(INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).as("still within the timeout").isTrue();

        channel.advanceTimeBy(INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).isFalse();
        assertThat(CloseReason.of(channel, null)).contains("no heartbeat reply within 10000 ms");
        channel.finishAndReleaseAll();
    }

    @Test
    void replyMeasuresTheRoundTrip() {
        EmbeddedChannel channel = clientChannel();
        HeartbeatHandler handler = channel.pipeline().get(HeartbeatHandler.class);
        assertThat(handler.lastRtt()).isNull();
        channel.advanceTimeBy(3, TimeUnit.MILLISECONDS);
        channel.writeInbound(Frame.of(1, HeartbeatReply.getDefaultInstance()));
        assertThat(handler.lastRtt()).isEqualTo(Duration.ofMillis(3));
        channel.finishAndReleaseAll();
    }

    @Test
    void peersHeartbeatIsAnsweredWithTheSameId() {
        EmbeddedChannel channel = new EmbeddedChannel(
                new HeartbeatHandler(false, INTERVAL, TIMEOUT, PipeMetrics.discarding()));
        channel.writeInbound(Frame.of(77, Heartbeat.getDefaultInstance()));
        Frame reply = channel.readOutbound();
        assertThat(reply.type()).isEqualTo(FrameType.HEARTBEAT_REPLY);
        assertThat(reply.id()).isEqualTo(77);
        assertThat((Object) channel.readInbound()).as("heartbeats stop here").isNull();
        channel.finishAndReleaseAll();
    }

    @Test
    void serverDropsAPipeSilentForTwiceTheInterval() throws Exception {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(new IdleStateHandler(2 * INTERVAL.toMillis(), 0, 0, TimeUnit.MILLISECONDS));
        channel.pipeline().addLast(new HeartbeatHandler(false, INTERVAL, TIMEOUT, PipeMetrics.discarding()));
        channel.pipeline().fireChannelActive();

        channel.advanceTimeBy(2 * INTERVAL.toMillis() - 1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).isTrue();

        channel.advanceTimeBy(2, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).isFalse();
        assertThat(CloseReason.of(channel, null)).contains("peer silent for 10000 ms");
        channel.finishAndReleaseAll();
    }

    @Test
    void aPeerFloodingHeartbeatsIsCutOffAndOneBeatingOftenButSanelyIsNot() {
        EmbeddedChannel channel = clientChannel();
        for (int second = 0; second < 3; second++) {
            for (int i = 0; i < HeartbeatHandler.MAX_PEER_BEATS_PER_SECOND; i++) {
                channel.writeInbound(Frame.of(i, Heartbeat.getDefaultInstance()));
            }
            channel.advanceTimeBy(1, TimeUnit.SECONDS);
        }
        assertThat(channel.isActive()).as("100 a second, three seconds running").isTrue();
        for (int i = 0; i <= HeartbeatHandler.MAX_PEER_BEATS_PER_SECOND; i++) {
            channel.writeInbound(Frame.of(i, Heartbeat.getDefaultInstance()));
        }
        assertThat(channel.isActive()).isFalse();
        assertThat(CloseReason.of(channel, null)).contains("a flood");
        channel.finishAndReleaseAll();
    }

    @Test
    void probesWhileOneIsOutstandingShareItSoThatNewcomersCannotMakeUsFloodThePeer() {
        EmbeddedChannel channel = clientChannel();
        channel.readOutbound();
        HeartbeatHandler heartbeats = channel.pipeline().get(HeartbeatHandler.class);
        var context = channel.pipeline().context(HeartbeatHandler.class);
        var first = heartbeats.probe(context, Duration.ofSeconds(1));
        for (int i = 0; i < 500; i++) {
            assertThat(heartbeats.probe(context, Duration.ofSeconds(1))).isSameAs(first);
        }
        assertThat(((Frame) channel.readOutbound()).type()).isEqualTo(FrameType.HEARTBEAT);
        assertThat((Object) channel.readOutbound()).as("one probe sent, not 501").isNull();
        channel.writeInbound(Frame.of(1, HeartbeatReply.getDefaultInstance()));
        assertThat(first).isCompletedWithValue(true);
        for (int i = 0; i < 500; i++) {
            assertThat(heartbeats.probe(context, Duration.ofSeconds(1))).as("answered within the second")
                    .isCompletedWithValue(true);
        }
        assertThat((Object) channel.readOutbound()).as("no heartbeat sent for those").isNull();
        channel.advanceTimeBy(1, TimeUnit.SECONDS);
        assertThat(heartbeats.probe(context, Duration.ofSeconds(1))).as("a second later, a new probe").isNotDone();
        assertThat(((Frame) channel.readOutbound()).type()).isEqualTo(FrameType.HEARTBEAT);
        channel.finishAndReleaseAll();
    }

    @Test
    void clientKeepsAPipeWhoseHeartbeatReplyIsLateWhileOtherFramesKeepArriving() {
        EmbeddedChannel channel = clientChannel();
        channel.readOutbound();
        for (int i = 0; i < 4; i++) {
            channel.advanceTimeBy(INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            channel.writeInbound(Frame.of(0, io.restpipe.internal.wire.proto.Credit.getDefaultInstance()));
            channel.runScheduledPendingTasks();
        }
        assertThat(channel.isActive()).as("20 s without a reply, but a frame every 5 s").isTrue();
        channel.advanceTimeBy(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).as("then nothing at all for the timeout").isFalse();
        channel.finishAndReleaseAll();
    }
}
