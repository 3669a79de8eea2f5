package io.restpipe.internal.link;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.restpipe.internal.metrics.PipeMetrics;

/** Counts the bytes a pipe's socket reads and writes. Event loop only; sharable since it keeps no state. */
@ChannelHandler.Sharable
final class ByteCountingHandler extends ChannelDuplexHandler {
    private final PipeMetrics metrics;

    ByteCountingHandler(PipeMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            metrics.bytesIn(buf.readableBytes());
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf buf) {
            metrics.bytesOut(buf.readableBytes());
        }
        ctx.write(msg, promise);
    }
}
