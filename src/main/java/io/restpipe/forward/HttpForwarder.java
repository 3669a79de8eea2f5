package io.restpipe.forward;

import io.restpipe.pipe.EventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.AbstractChannelPoolMap;
import io.netty.channel.pool.SimpleChannelPool;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.restpipe.pipe.EventDispatcher;
import io.restpipe.pipe.IncomingEvent;
import io.restpipe.pipe.Replier;
import java.net.URI;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * Replays events no handler takes as HTTP requests to a local upstream ({@code --forward URL}) over keep-alive
 * connection pools on the pipe's own event loops, streaming bodies both ways. Unreachable upstream → 502; no
 * response before the caller's deadline → 504; a caller that gives up closes the upstream connection.
 * Thread-safe.
 *
 * <pre>{@code
 * new HandlerDispatcher(handlers, new HttpForwarder(URI.create("http://127.0.0.1:9000")));
 * }</pre>
 */
public final class HttpForwarder implements EventDispatcher, AutoCloseable {
    static final String POOL_HANDLER = "upstream-exchange";

    private final URI upstream;
    private final String hostHeader;
    private final String basePath;
    /** One pool per event loop: an upstream connection lives on the loop of the pipe it serves, so no hops. */
    private final AbstractChannelPoolMap<EventLoop, SimpleChannelPool> pools;

    public HttpForwarder(URI upstream) {
        if (!"http".equals(upstream.getScheme()) || upstream.getHost() == null) {
            throw new IllegalArgumentException("--forward takes an http:// URL with a host, not '" + upstream + "'");
        }
        this.upstream = upstream;
        int port = upstream.getPort() < 0 ? 80 : upstream.getPort();
        this.hostHeader = upstream.getHost() + (upstream.getPort() < 0 ? "" : ":" + port);
        String path = upstream.getRawPath() == null ? "" : upstream.getRawPath();
        this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        Bootstrap bootstrap = new Bootstrap()
                .channelFactory(EventLoops.socketChannels())
                .option(ChannelOption.ALLOCATOR, EventLoops.ALLOCATOR)
                .option(ChannelOption.RCVBUF_ALLOCATOR, EventLoops.readSizes())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
                .remoteAddress(upstream.getHost(), port);
        this.pools = new AbstractChannelPoolMap<>() {
            @Override
            protected SimpleChannelPool newPool(EventLoop loop) {
                return new SimpleChannelPool(bootstrap.clone(loop), new AbstractChannelPoolHandler() {
                    @Override
                    public void channelCreated(Channel channel) {
                        // Body pieces as large as a socket read (Netty's default splits them at 8 KiB).
                        HttpDecoderConfig decoding = new HttpDecoderConfig().setMaxChunkSize(EventLoops.MAX_READ);
                        channel.pipeline().addLast("http", new HttpClientCodec(decoding, false, false));
                    }
                });
            }
        };
    }

    /** Where events go, for log lines and errors. */
    public URI upstream() {
        return upstream;
    }

    @Override
    public Future<?> dispatch(IncomingEvent incoming, Replier replier) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        UpstreamExchange exchange = new UpstreamExchange(this, incoming, replier, done);
        pools.get(incoming.eventLoop()).acquire().addListener(acquired -> {
            if (acquired.isSuccess()) {
                exchange.start((Channel) acquired.getNow());
            } else {
                exchange.unreachable(acquired.cause());
            }
        });
        done.whenComplete((ok, failure) -> {
            if (done.isCancelled()) {
                exchange.cancel();
            }
        });
        return done;
    }

    /** The request target for {@code noun} and {@code query}: the upstream's base path, then the noun. */
    String requestUri(String noun, String query) {
        return basePath + "/" + noun + (query == null || query.isEmpty() ? "" : "?" + query);
    }

    String hostHeader() {
        return hostHeader;
    }

    /** Hands a connection back for reuse, after a complete exchange on a keep-alive connection. */
    void release(Channel channel) {
        pools.get(channel.eventLoop()).release(channel);
    }

    /** Drops a connection whose exchange did not complete cleanly. */
    void discard(Channel channel) {
        channel.close();
        pools.get(channel.eventLoop()).release(channel);
    }

    @Override
    public void close() {
        pools.close();
    }

    @Override
    public String toString() {
        return "forward to " + upstream.toString().toLowerCase(Locale.ROOT);
    }
}
