package io.restpipe.pipe;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
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

    private EventLoops() {
    }

    /** A group of {@code threads} loops (0 = Netty's default, twice the cores) with daemon threads named {@code name}. */
    public static EventLoopGroup create(String name, int threads) {
        IoHandlerFactory io = EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), io);
    }

    public static Class<? extends SocketChannel> socketChannel() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    public static Class<? extends ServerSocketChannel> serverSocketChannel() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** "epoll" or "nio", for the start-up log line. */
    public static String transportName() {
        return EPOLL ? "epoll" : "nio";
    }
}
