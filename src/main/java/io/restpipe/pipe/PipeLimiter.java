package io.restpipe.pipe;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses connections to the pipe port past a maximum, before any TLS work, so a flood of clients cannot exhaust
 * the server; the refused clients retry with their backoff. Logs a refusal at most once a second. Thread-safe.
 */
@ChannelHandler.Sharable
final class PipeLimiter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(PipeLimiter.class);
    private static final long LOG_EVERY_NANOS = 1_000_000_000L;

    private final int maxPipes;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong lastLog = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);

    /** @param maxPipes connections allowed at once; 0 for no limit */
    PipeLimiter(int maxPipes) {
        this.maxPipes = maxPipes;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (open.incrementAndGet() > maxPipes && maxPipes > 0) {
            long count = refused.incrementAndGet();
            long now = System.nanoTime();
            long last = lastLog.get();
            if (now - last >= LOG_EVERY_NANOS && lastLog.compareAndSet(last, now)) {
                log.warn("refusing pipe from {}: the server is at its limit of {} pipes (--max-pipes); {} refused "
                        + "so far", ctx.channel().remoteAddress(), maxPipes, count);
            }
            PipeSession.closeWithReason(ctx.channel(), "server at its limit of " + maxPipes + " pipes");
            return;
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        open.decrementAndGet();
        ctx.fireChannelInactive();
    }
}
