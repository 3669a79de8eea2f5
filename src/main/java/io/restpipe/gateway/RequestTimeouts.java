package io.restpipe.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import io.restpipe.pipe.RepeatedLog;
import java.time.Duration;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import java.util.concurrent.TimeUnit;

/**
 * The two clocks of a gateway connection between requests, placed before the HTTP decoder so it sees raw bytes:
 * a connection waiting for its next request is closed after the idle timeout, and a request whose first byte has
 * arrived must have all its headers within the header timeout, else 408 and close (a caller sending its headers a
 * byte at a time holds a connection for no longer than that). While a call is in progress neither runs: the call's
 * own deadline applies. Event loop only.
 */
final class RequestTimeouts extends ChannelInboundHandlerAdapter {
    private static final RepeatedLog slow = new RepeatedLog(LoggerFactory.getLogger(RequestTimeouts.class),
            Level.INFO, Duration.ofSeconds(10));
    private final long headerNanos;
    private final long idleNanos;
    private ChannelHandlerContext context;
    private boolean awaitingRequest = true;
    private boolean headStarted;
    private ScheduledFuture<?> timer;

    RequestTimeouts(Duration header, Duration idle) {
        this.headerNanos = header.toNanos();
        this.idleNanos = idle.toNanos();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        context = ctx;
        restart(this::idle, idleNanos);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (awaitingRequest && !headStarted && msg instanceof ByteBuf bytes && bytes.isReadable()) {
            headStarted = true;
            restart(this::headerTooSlow, headerNanos);
        }
        ctx.fireChannelRead(msg);
    }

    /** The gateway decoded a request's head: the call's own clock runs from here. */
    void requestArrived() {
        awaitingRequest = false;
        cancel();
    }

    /** The gateway finished an exchange and waits for the next request on this connection. */
    void awaitingNextRequest() {
        awaitingRequest = true;
        headStarted = false;
        if (context != null) {
            restart(this::idle, idleNanos);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    private void idle() {
        context.close();
    }

    private void headerTooSlow() {
        slow.log("408", "closing gateway connection " + context.channel().remoteAddress() + ": its request's headers "
                + "did not arrive within " + headerNanos / 1_000_000 + " ms (--http-header-timeout)");
        LingeringClose.after(context.writeAndFlush(Unpooled.wrappedBuffer(RawResponses.error(408, "Request Timeout",
                "the request's headers did not arrive within " + headerNanos / 1_000_000 + " ms"))));
    }

    private void restart(Runnable action, long nanos) {
        cancel();
        if (nanos > 0) {
            timer = context.executor().schedule(action, nanos, TimeUnit.NANOSECONDS);
        }
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
