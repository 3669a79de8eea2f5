package io.restpipe.internal.util;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.restpipe.internal.util.RepeatedLog;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Refuses connections to a port past a maximum, before any TLS or HTTP work, so a flood of connections cannot
 * exhaust the process's file descriptors or memory; the refused peers retry later. Logs refusals at most once a
 * second, with a count. Thread-safe.
 */
@ChannelHandler.Sharable
public final class ConnectionLimit extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionLimit.class);
    private static final RepeatedLog refusals = new RepeatedLog(log, Level.WARN, Duration.ofSeconds(1));

    private final int max;
    private final String what;
    private final Consumer<ChannelHandlerContext> refuse;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();

    /**
     * @param max     connections allowed at once; 0 for no limit
     * @param what    what is limited and by which option, for the log: "pipes (--max-pipes)"
     * @param refuse  answers and closes a refused connection, writing from this handler (before any codec);
     *                {@code null} closes it without a word
     */
    public ConnectionLimit(int max, String what, Consumer<ChannelHandlerContext> refuse) {
        this.max = max;
        this.what = what;
        this.refuse = refuse;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (open.incrementAndGet() > max && max > 0) {
            refusals.log(what, "refusing a connection from " + ctx.channel().remoteAddress() + ": at the limit of "
                    + max + " " + what + "; " + refused.incrementAndGet() + " refused so far");
            if (refuse == null) {
                CloseReason.close(ctx.channel(), "at the limit of " + max + " " + what);
            } else {
                refuse.accept(ctx);
            }
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
