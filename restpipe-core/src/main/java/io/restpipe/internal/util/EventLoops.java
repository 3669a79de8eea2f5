package io.restpipe.internal.util;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Creates the event loops and picks the socket classes everything runs on: Linux's native epoll where it loads
 * (fewer copies and syscalls), Java NIO otherwise; {@code -Drestpipe.transport=nio} forces NIO.
 */
public final class EventLoops {
    private static final boolean EPOLL = !"nio".equalsIgnoreCase(System.getProperty("restpipe.transport"))
            && Epoll.isAvailable();

    /**
     * The buffer allocator of every channel: Netty's pooled arenas. Netty 4.2's default adaptive allocator zeroes
     * each new chunk it takes, which cost about a twentieth of the CPU of a bulk transfer.
     */
    public static final ByteBufAllocator ALLOCATOR = PooledByteBufAllocator.DEFAULT;

    /**
     * The largest single socket read, and so the largest piece of a body the HTTP codecs hand on. Bulk transfers
     * ran about a tenth faster with 256 KiB than with Netty's 64 KiB (fewer system calls per byte); 1 MiB was no
     * better.
     */
    public static final int MAX_READ = 256 * 1024;

    /** Sizes each socket read by what the last ones brought, up to {@link #MAX_READ}. */
    public static RecvByteBufAllocator readSizes() {
        return new AdaptiveRecvByteBufAllocator(64, 2048, MAX_READ);
    }

    private EventLoops() {
    }

    /** A group of {@code threads} loops (0 = Netty's default, twice the cores) with daemon threads named {@code name}. */
    public static EventLoopGroup create(String name, int threads) {
        IoHandlerFactory io = EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), io);
    }

    /** Makes the sockets of outgoing connections; a constructor reference, not Netty's reflective default. */
    public static ChannelFactory<SocketChannel> socketChannels() {
        return EPOLL ? EpollSocketChannel::new : NioSocketChannel::new;
    }

    public static Class<? extends ServerSocketChannel> serverSocketChannel() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** "epoll" or "nio", for the start-up log line. */
    public static String transportName() {
        return EPOLL ? "epoll" : "nio";
    }
}
