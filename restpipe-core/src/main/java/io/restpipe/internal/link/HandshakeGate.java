package io.restpipe.internal.link;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps at most a fixed number of TLS handshakes in progress on the server; the connections past it wait, first
 * come first served, without being read from. When thousands of clients reconnect at once (after a server
 * restart), each handshake is then quick and they get through at the rate the CPU allows; without the gate all of
 * them progress together, slowly, and many pass their handshake timeout, which wastes the work done on them.
 * <p>
 * They wait here rather than in the kernel's accept queue: a full accept queue drops packets, and a client caught
 * in that waits out seconds of TCP retransmissions, often past its own timeout, while one waiting here is served
 * as soon as its turn comes. A waiting connection costs no TLS work; if its client gives up first, it leaves the
 * queue. Thread-safe.
 */
@ChannelHandler.Sharable
final class HandshakeGate extends ChannelInboundHandlerAdapter {
    /** Enough to keep 2 cores busy on loopback and ~1,000 handshakes/s in flight over 250 ms round trips. */
    static final int DEFAULT_MAX_IN_PROGRESS = 256;

    /** Set on a channel whose handshake the gate counts as in progress. */
    private static final AttributeKey<Boolean> COUNTED = AttributeKey.valueOf(HandshakeGate.class, "counted");

    private final int maxInProgress;
    private final AtomicInteger inProgress = new AtomicInteger();
    private final Queue<Channel> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicInteger waitingCount = new AtomicInteger();

    HandshakeGate(int maxInProgress) {
        this.maxInProgress = maxInProgress;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel channel = ctx.channel();
        if (tryStart()) {
            channel.attr(COUNTED).set(Boolean.TRUE);
        } else {
            channel.config().setAutoRead(false); // before the pipeline's first read: TLS sees nothing yet
            waitingCount.incrementAndGet();
            waiting.add(channel);
            admitWaiting(); // a handshake may have ended since tryStart()
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
        finished(ctx); // closed before its handshake ended, perhaps while waiting
        ctx.fireChannelInactive();
    }

    /** Handshakes in progress now (for tests). */
    int inProgress() {
        return inProgress.get();
    }

    /** Connections waiting for their handshake to start (for tests). */
    int waiting() {
        return waitingCount.get();
    }

    /** Ends the channel's part in the gate, once: the gate leaves its pipeline. */
    private void finished(ChannelHandlerContext ctx) {
        if (ctx.isRemoved()) {
            return;
        }
        ctx.pipeline().remove(this);
        Channel channel = ctx.channel();
        if (channel.attr(COUNTED).getAndSet(null) != null) {
            inProgress.decrementAndGet();
        } else if (waiting.remove(channel)) {
            waitingCount.decrementAndGet();
        }
        admitWaiting();
    }

    /** Starts the handshakes of waiting connections, oldest first, while under the maximum. */
    private void admitWaiting() {
        while (!waiting.isEmpty() && tryStart()) {
            Channel next = waiting.poll();
            if (next == null) {
                inProgress.decrementAndGet();
                return;
            }
            waitingCount.decrementAndGet();
            next.eventLoop().execute(() -> start(next));
        }
    }

    /** On the channel's loop, so that it cannot close halfway: counts it and lets TLS read, or gives back its turn. */
    private void start(Channel channel) {
        if (channel.pipeline().context(this) == null) { // closed while it waited
            inProgress.decrementAndGet();
            admitWaiting();
            return;
        }
        channel.attr(COUNTED).set(Boolean.TRUE);
        channel.config().setAutoRead(true); // reads, and the handshake starts
    }

    private boolean tryStart() {
        while (true) {
            int now = inProgress.get();
            if (now >= maxInProgress) {
                return false;
            }
            if (inProgress.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }
}
