package io.restpipe.pipe;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps at most a fixed number of TLS handshakes in progress on the server: at that number it stops accepting, so
 * new connections wait in the kernel's accept queue until handshakes finish. When thousands of clients reconnect
 * at once (after a server restart), they then get through at the rate the CPU allows, each handshake quick;
 * without the gate all of them progress together, slowly, and many pass their handshake timeout, which wastes
 * the work done on them and sends them into backoff. Thread-safe.
 */
@ChannelHandler.Sharable
final class HandshakeGate extends ChannelInboundHandlerAdapter {
    /** Enough to keep 2 cores busy on loopback and ~1,000 handshakes/s in flight over 250 ms round trips. */
    static final int DEFAULT_MAX_IN_PROGRESS = 256;

    /** Set on a channel whose handshake the gate counted (one refused before TLS never reaches the gate). */
    private static final AttributeKey<Boolean> COUNTED = AttributeKey.valueOf(HandshakeGate.class, "counted");

    private final int maxInProgress;
    private final AtomicInteger inProgress = new AtomicInteger();

    HandshakeGate(int maxInProgress) {
        this.maxInProgress = maxInProgress;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.channel().attr(COUNTED).set(Boolean.TRUE);
        if (inProgress.incrementAndGet() >= maxInProgress) {
            updateAccepting(ctx.channel().parent());
        }
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SslHandshakeCompletionEvent) {
            finished(ctx);
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        finished(ctx); // closed before its handshake ended
        ctx.fireChannelInactive();
    }

    /** Handshakes in progress now (for tests). */
    int inProgress() {
        return inProgress.get();
    }

    /** Counts the channel's handshake as over, once: the gate leaves the channel's pipeline. */
    private void finished(ChannelHandlerContext ctx) {
        if (ctx.isRemoved()) {
            return;
        }
        ctx.pipeline().remove(this);
        if (ctx.channel().attr(COUNTED).getAndSet(null) == null) {
            return;
        }
        inProgress.decrementAndGet();
        Channel listening = ctx.channel().parent();
        if (listening != null && !listening.config().isAutoRead()) {
            updateAccepting(listening);
        }
    }

    /** Accepts while under the maximum; decided on the listening channel's loop, from the count at that moment. */
    private void updateAccepting(Channel listening) {
        if (listening == null) {
            return;
        }
        listening.eventLoop().execute(() -> {
            boolean accept = inProgress.get() < maxInProgress;
            if (listening.config().isAutoRead() != accept) {
                listening.config().setAutoRead(accept);
                if (accept) {
                    listening.read();
                }
            }
        });
    }
}
