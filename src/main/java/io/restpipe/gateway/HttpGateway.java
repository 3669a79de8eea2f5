package io.restpipe.gateway;

import io.restpipe.pipe.EventLoops;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local HTTP server through which programs call the other side of the pipe.
 *
 * <pre>{@code
 * HttpGateway gateway = new HttpGateway(GatewayRole.CLIENT, backend, HttpGateway.UNLIMITED_BODY,
 *         HttpGateway.DEFAULT_MAX_CALLS, loops);
 * InetSocketAddress bound = gateway.bind(new InetSocketAddress("127.0.0.1", 8081));
 * }</pre>
 */
public final class HttpGateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpGateway.class);
    /** No limit on request bodies by default: they stream through the pipe in bounded memory. */
    public static final long UNLIMITED_BODY = 0;
    /** Calls in flight at once per gateway by default; past it, 503. */
    public static final int DEFAULT_MAX_CALLS = 10_000;

    private final GatewayRole role;
    private final EventLoopGroup group;
    private final ServerBootstrap bootstrap;
    private Channel channel;

    /**
     * @param maxBodyBytes request bodies over this many bytes get 413; {@link #UNLIMITED_BODY} for no limit
     * @param maxCalls     calls in flight at once; past it a call gets 503 (0 = no limit)
     * @param group        the event loops to serve on (shared with the pipe, so bodies cross no thread when a
     *                     connection lands on the pipe's loop); the caller shuts them down
     */
    public HttpGateway(GatewayRole role, GatewayBackend backend, long maxBodyBytes, int maxCalls,
                       EventLoopGroup group) {
        this.role = role;
        this.group = group;
        this.bootstrap = new ServerBootstrap()
                .group(group)
                .channel(EventLoops.serverSocketChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.ALLOCATOR, EventLoops.ALLOCATOR)
                .childOption(ChannelOption.ALLOCATOR, EventLoops.ALLOCATOR)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, EventLoops.readSizes())
                .childOption(ChannelOption.TCP_NODELAY, true)
                // The gateway asks for each read itself, to pull request bodies only as the pipe takes them.
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new GatewayInitializer(role, backend, maxBodyBytes, maxCalls));
    }

    /** Starts serving on {@code address} (port 0 = any free port) and returns the bound address. */
    public InetSocketAddress bind(InetSocketAddress address) throws InterruptedException {
        channel = bootstrap.bind(address).sync().channel();
        InetSocketAddress bound = (InetSocketAddress) channel.localAddress();
        log.info("{} gateway on http://{}:{}", role.name().toLowerCase(java.util.Locale.ROOT),
                bound.getHostString(), bound.getPort());
        return bound;
    }

    /** Stops taking new connections. */
    public void stopAccepting() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
    }

    @Override
    public void close() {
        stopAccepting();
    }
}
