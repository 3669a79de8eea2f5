package io.restpipe.gateway;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.restpipe.pipe.EventLoops;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local HTTP server through which programs call the other side of the pipe.
 *
 * <pre>{@code
 * HttpGateway gateway = new HttpGateway(GatewayRole.CLIENT, backend, HttpGateway.DEFAULT_MAX_BODY_BYTES);
 * InetSocketAddress bound = gateway.bind(new InetSocketAddress("127.0.0.1", 8081));
 * }</pre>
 */
public final class HttpGateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpGateway.class);
    /** Request bodies larger than this are refused with 413 until bodies stream. */
    public static final int DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

    private final GatewayRole role;
    private final EventLoopGroup group;
    private final ServerBootstrap bootstrap;
    private Channel channel;

    public HttpGateway(GatewayRole role, GatewayBackend backend, int maxBodyBytes) {
        this.role = role;
        this.group = EventLoops.create("restpipe-http", 0);
        this.bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new GatewayInitializer(role, backend, maxBodyBytes));
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
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
