package io.restpipe.internal.gateway;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.restpipe.FatalErrors;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a gateway connection the way HTTP servers do when the caller may still be sending (a refused or
 * oversized request): once the response is written, the sending half is shut, and what the caller still sends is
 * read and dropped for a short while before the socket closes. Closing at once would make the kernel answer the
 * unread bytes with a reset, and the caller would see "connection reset" instead of the response. Event loop only.
 */
final class LingeringClose extends ChannelInboundHandlerAdapter {
    /** At most this long; a caller that keeps sending holds its connection no longer. */
    static final Duration LINGER = Duration.ofSeconds(2);

    private LingeringClose() {
    }

    /** Closes {@code channel} lingering, once {@code lastWrite} is done. */
    static void after(ChannelFuture lastWrite) {
        lastWrite.addListener(done -> start(lastWrite.channel()));
    }

    private static void start(Channel channel) {
        if (!channel.isActive() || !(channel instanceof DuplexChannel duplex)) {
            channel.close();
            return;
        }
        channel.pipeline().addFirst(new LingeringClose());
        duplex.shutdownOutput();
        channel.eventLoop().schedule(() -> channel.close(), LINGER.toMillis(), TimeUnit.MILLISECONDS);
        channel.config().setAutoRead(true);
        channel.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        // The caller finished sending (input shut down): nothing more to wait for.
        if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
            ctx.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        FatalErrors.check(cause);
        ctx.close();
    }
}
