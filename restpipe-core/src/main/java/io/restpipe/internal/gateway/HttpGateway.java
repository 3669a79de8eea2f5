package io.restpipe.internal.gateway;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.restpipe.GatewayLimits;
import io.restpipe.internal.call.BodyMemory;
import io.restpipe.internal.util.EventLoops;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local HTTP server through which programs call the other side of the pipe.
 *
 * <pre>{@code
 * HttpGateway gateway = new HttpGateway(GatewayRole.CLIENT, backend, GatewayAccess.open(), GatewayLimits.defaults(),
 *         BodyMemory.unlimited(), loops);
 * InetSocketAddress bound = gateway.bind(new InetSocketAddress("127.0.0.1", 8081));
 * }</pre>
 */
public final class HttpGateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpGateway.class);

    private final GatewayRole role;
    private final EventLoopGroup group;
    private final ServerBootstrap bootstrap;
    private Channel channel;

    /**
     * @param access     who may call, and the decorators around every call the gateway starts
     * @param limits     what callers may spend: bodies, calls, connections, header size and time, idle time
     * @param bodyMemory this side's budget for bodies, shared with its pipe(s)
     * @param group      the event loops to serve on (shared with the pipe, so bodies cross no thread when a
     *                   connection lands on the pipe's loop); the caller shuts them down
     */
    public HttpGateway(GatewayRole role, GatewayBackend backend, GatewayAccess access, GatewayLimits limits,
                       BodyMemory bodyMemory, EventLoopGroup group) {
        this.role = role;
        this.group = group;
        HttpResponses.warmUp();
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
                .childHandler(new GatewayInitializer(role, backend, access, limits, bodyMemory));
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
