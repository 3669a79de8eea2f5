package io.restpipe.internal.link;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.restpipe.internal.wire.FrameSink;
import java.util.function.BooleanSupplier;

/** A {@link FrameSink} onto a channel: what a peer's calls write through. Thread-safe. */
public class ChannelFrameSink implements FrameSink {
    private final Channel channel;
    private final BooleanSupplier goingAway;

    /** @param goingAway true once either side said the link takes no new calls */
    public ChannelFrameSink(Channel channel, BooleanSupplier goingAway) {
        this.channel = channel;
        this.goingAway = goingAway;
    }

    @Override
    public EventExecutor executor() {
        return channel.eventLoop();
    }

    @Override
    public ByteBufAllocator alloc() {
        return channel.alloc();
    }

    @Override
    public Future<Void> send(Object frame) {
        return channel.writeAndFlush(frame);
    }

    @Override
    public void write(Object frame) {
        channel.write(frame);
    }

    @Override
    public void flush() {
        channel.flush();
    }

    @Override
    public boolean isOpen() {
        return channel.isActive() && !goingAway.getAsBoolean();
    }

    @Override
    public String state() {
        return goingAway.getAsBoolean() ? "going away" : "closed";
    }

    @Override
    public void pauseReading() {
        ReadPauses.of(channel).pause(ReadPauses.CALLS);
    }

    @Override
    public void resumeReading() {
        ReadPauses.of(channel).resume(ReadPauses.CALLS);
    }

    @Override
    public boolean isReadingPaused() {
        return ReadPauses.of(channel).isPaused(ReadPauses.CALLS);
    }
}
