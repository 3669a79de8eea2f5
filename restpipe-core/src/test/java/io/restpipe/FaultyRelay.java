package io.restpipe;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Ticker;
import io.restpipe.internal.util.EventLoops;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay for tests (Toxiproxy's toxics, okhttp's fault policies): listens on 127.0.0.1 at a free port and
 * forwards each connection it accepts to {@code target}, with faults a test switches at a chosen moment, for the
 * connections open then and those to come: {@link #pass}, {@link #blackhole}, {@link #slow}, and the one-off
 * {@link #cut}, {@link #reset} of the open ones; {@link #refuseNew} for new ones.
 *
 * <p>Reads are explicit (auto-read off), one 16 KiB buffer at a time, and the next is asked for only once the last
 * was written: a direction that forwards nothing stops reading and holds a buffer or two at most (a peer's close can
 * still bring one), and the kernel's windows push back on the sender as on a real stalled link.
 *
 * <p>Threading: thread-safe; every connection lives on the relay's single event loop, and the fault switches hand
 * it their change.
 */
public final class FaultyRelay implements AutoCloseable {
    private static final int READ_SIZE = 16 * 1024;
    /** How often a slowed direction releases its next piece: small pieces, so the rate is smooth. */
    static final long SLOW_TICK_MILLIS = 50;
    private static final long SLOW_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(SLOW_TICK_MILLIS);

    private sealed interface Fault permits Pass, Blackhole, Slow {
    }

    private record Pass() implements Fault {
    }

    private record Blackhole() implements Fault {
    }

    private record Slow(long bytesPerSecond) implements Fault {
    }

    private final InetSocketAddress target;
    /** Paces slowed directions; only {@link #slow} reads it. */
    private final Ticker clock;
    private final EventLoopGroup loop = EventLoops.create("relay", 1);
    private final Channel listener;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private volatile Fault fault = new Pass();
    private volatile boolean refuseNew;

    /** Starts relaying to {@code target} at once. */
    public FaultyRelay(InetSocketAddress target) {
        this(target, Ticker.systemTicker());
    }

    /**
     * Starts relaying to {@code target} at once, pacing {@link #slow} by {@code clock}: with a
     * {@link io.netty.util.concurrent.MockTicker}, a slowed direction sends its next piece only once the test has
     * moved the clock on (its wake-ups stay on the loop's real timer, so it looks again every
     * {@value #SLOW_TICK_MILLIS} ms or less until then).
     */
    public FaultyRelay(InetSocketAddress target, Ticker clock) {
        this.target = target;
        this.clock = clock;
        this.listener = new ServerBootstrap()
                .group(loop)
                .channel(EventLoops.serverSocketChannel())
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(READ_SIZE))
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel inbound) {
                        accept(inbound);
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
    }

    /** Where to dial to go through the relay. */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** Connections accepted and relayed (those refused by {@link #refuseNew} not counted). */
    public int accepted() {
        return accepted.get();
    }

    /** Connections accepted and at once reset while {@link #refuseNew} was on. */
    public int refused() {
        return refused.get();
    }

    /** Forwards everything both ways as it comes; releases what a blackhole or a slowdown held back. */
    public void pass() {
        switchTo(new Pass());
    }

    /** Keeps both sockets open and forwards nothing either way; stops reading, so nothing piles up here. */
    public void blackhole() {
        switchTo(new Blackhole());
    }

    /**
     * Forwards each direction at no more than {@code bytesPerSecond} of the relay's clock: a piece of
     * {@value #SLOW_TICK_MILLIS} ms' worth at once, the next one when the clock says the last has had its time.
     */
    public void slow(long bytesPerSecond) {
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException("bytesPerSecond must be positive: " + bytesPerSecond);
        }
        switchTo(new Slow(bytesPerSecond));
    }

    /**
     * Closes every open connection, both of its sockets, with an orderly FIN (which the kernel turns into a reset on
     * a socket closed with bytes unread in it, such as one that was blackholed); new ones are relayed as before.
     */
    public void cut() {
        loop.execute(() -> links.forEach(link -> link.close(false)));
    }

    /** Closes every open connection with a reset (SO_LINGER 0) on both of its sockets. */
    public void reset() {
        loop.execute(() -> links.forEach(link -> link.close(true)));
    }

    /**
     * While {@code refuse}, each new connection is accepted and reset at once, before anything reaches the target
     * (as a firewall rejecting with a TCP reset; the dialer sees its connection reset, not "connection refused").
     */
    public void refuseNew(boolean refuse) {
        this.refuseNew = refuse;
    }

    private void switchTo(Fault next) {
        fault = next;
        loop.execute(() -> links.forEach(Link::faultChanged));
    }

    /** Event loop only. */
    private void accept(Channel inbound) {
        if (refuseNew) {
            refused.incrementAndGet();
            resetAndClose(inbound);
            return;
        }
        accepted.incrementAndGet();
        ChannelFuture dialing = new Bootstrap()
                .group(inbound.eventLoop())
                .channelFactory(EventLoops.socketChannels())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(READ_SIZE))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(target);
        Link link = new Link(inbound, dialing.channel());
        links.add(link);
        dialing.addListener(done -> {
            if (done.isSuccess()) {
                link.start();
            } else {
                link.close(false);
            }
        });
    }

    private static void resetAndClose(Channel channel) {
        if (channel.isOpen()) {
            channel.config().setOption(ChannelOption.SO_LINGER, 0);
        }
        channel.close();
    }

    /** Closes the listener and every connection, and stops the event loop; held buffers are released. Idempotent. */
    @Override
    public void close() {
        if (loop.isShuttingDown()) {
            return;
        }
        listener.close().syncUninterruptibly();
        loop.submit(() -> links.forEach(link -> link.close(false))).syncUninterruptibly();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One relayed connection: the caller's socket and the one to the target. Event loop only. */
    private final class Link {
        private final Channel caller;
        private final Channel callee;
        private final Pump up;
        private final Pump down;

        Link(Channel caller, Channel callee) {
            this.caller = caller;
            this.callee = callee;
            this.up = new Pump(caller, callee);
            this.down = new Pump(callee, caller);
            caller.pipeline().addLast(new Side(up, down));
            callee.pipeline().addLast(new Side(down, up));
            caller.closeFuture().addListener(closed -> forgetWhenClosed());
            callee.closeFuture().addListener(closed -> forgetWhenClosed());
        }

        void start() {
            up.drain();
            down.drain();
        }

        void faultChanged() {
            up.drain();
            down.drain();
        }

        void close(boolean reset) {
            if (reset) {
                resetAndClose(caller);
                resetAndClose(callee);
            } else {
                caller.close();
                callee.close();
            }
        }

        private void forgetWhenClosed() {
            if (!caller.isOpen() && !callee.isOpen()) {
                // Also when the target never answered, so that its socket was never active.
                up.toEnded();
                down.toEnded();
                links.remove(this);
            }
        }
    }

    /** One direction of a link: reads {@code from}, writes {@code to}. Event loop only. */
    private final class Pump {
        private final Channel from;
        private final Channel to;
        /** Read and not yet written: one read's worth at most, since the next read waits for the last write. */
        private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
        private boolean writing;
        private boolean fromEnded;
        private boolean toEnded;
        private boolean wakeUpScheduled;
        private long nextSendNanos;

        Pump(Channel from, Channel to) {
            this.from = from;
            this.to = to;
        }

        void received(ByteBuf data) {
            if (toEnded) {
                data.release();
                return;
            }
            held.add(data);
            drain();
        }

        void fromEnded() {
            fromEnded = true;
            drain();
        }

        void toEnded() {
            toEnded = true;
            while (!held.isEmpty()) {
                held.poll().release();
            }
        }

        /** Writes what the fault lets through, then asks for the next read once everything was written. */
        void drain() {
            if (writing || toEnded || !to.isActive()) {
                return;
            }
            Fault now = fault;
            if (now instanceof Blackhole) {
                return;
            }
            if (held.isEmpty()) {
                if (fromEnded) {
                    to.close();
                } else {
                    from.read();
                }
                return;
            }
            ByteBuf last;
            if (now instanceof Slow slow) {
                long nowNanos = clock.nanoTime();
                if (nowNanos - nextSendNanos < 0) {
                    wakeUpAt(nextSendNanos - nowNanos);
                    return;
                }
                long piece = Math.max(1, slow.bytesPerSecond() * SLOW_TICK_NANOS / TimeUnit.SECONDS.toNanos(1));
                last = take((int) Math.min(piece, READ_SIZE));
                nextSendNanos = nowNanos + last.readableBytes() * TimeUnit.SECONDS.toNanos(1) / slow.bytesPerSecond();
            } else {
                last = held.poll();
                while (!held.isEmpty()) {
                    to.write(last);
                    last = held.poll();
                }
            }
            writing = true;
            to.writeAndFlush(last).addListener(done -> {
                writing = false;
                if (done.isSuccess()) {
                    drain();
                } else {
                    from.close();
                    to.close();
                }
            });
        }

        private ByteBuf take(int atMost) {
            ByteBuf head = held.peek();
            return head.readableBytes() <= atMost ? held.poll() : head.readRetainedSlice(atMost);
        }

        private void wakeUpAt(long delayNanos) {
            if (!wakeUpScheduled) {
                wakeUpScheduled = true;
                to.eventLoop().schedule(() -> {
                    wakeUpScheduled = false;
                    drain();
                }, delayNanos, TimeUnit.NANOSECONDS);
            }
        }
    }

    /** The handler on each socket of a link: what it reads goes out through {@code out}, which writes to it. */
    private static final class Side extends ChannelInboundHandlerAdapter {
        private final Pump out;
        private final Pump in;

        Side(Pump out, Pump in) {
            this.out = out;
            this.in = in;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf data) {
                out.received(data);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            in.toEnded();
            out.fromEnded();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
