package io.restpipe.internal.call;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.restpipe.internal.wire.FrameSink;

/** A {@link FrameSink} straight onto a channel (an embedded one, in tests), with no link's hello or goaway. */
public final class ChannelSink implements FrameSink {
    private final Channel channel;
    private boolean readingPaused;

    public ChannelSink(Channel channel) {
        this.channel = channel;
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
    public boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    public long bytesBeforeWritable() {
        return channel.bytesBeforeWritable();
    }

    @Override
    public boolean isOpen() {
        return channel.isActive();
    }

    @Override
    public String state() {
        return "closed";
    }

    @Override
    public void pauseReading() {
        readingPaused = true;
    }

    @Override
    public void resumeReading() {
        readingPaused = false;
    }

    @Override
    public boolean isReadingPaused() {
        return readingPaused;
    }
}
