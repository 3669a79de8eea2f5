package io.restpipe.internal.forward;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.AbstractChannelPoolMap;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.restpipe.PipeEvent;
import io.restpipe.PipeReply;
import io.restpipe.internal.call.EventDispatcher;
import io.restpipe.internal.call.InboundBody;
import io.restpipe.internal.call.IncomingEvent;
import io.restpipe.internal.call.Replier;
import io.restpipe.internal.util.EventLoops;
import io.restpipe.internal.util.PercentCoding;
import io.restpipe.internal.util.RepeatedLog;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

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

    private static final RepeatedLog refusals = new RepeatedLog(LoggerFactory.getLogger(HttpForwarder.class),
            Level.WARN, Duration.ofSeconds(10));
    /** How long a call waits for a pooled connection to the upstream to free up before it is refused. */
    private static final Duration POOL_WAIT = Duration.ofSeconds(10);

    private final URI upstream;
    private final String hostHeader;
    private final String basePath;
    private final int maxConnections;
    /** One pool per event loop: an upstream connection lives on the loop of the pipe it serves, so no hops. */
    private final AbstractChannelPoolMap<EventLoop, FixedChannelPool> pools;

    public HttpForwarder(URI upstream) {
        this(upstream, 256, Duration.ofSeconds(30), 1);
    }

    /**
     * @param maxConnections connections open to the upstream at once, spread over the event loops; calls past it wait
     *                       for one to free up, then get 503
     * @param idleTimeout    how long an unused pooled connection stays open
     * @param loops          the event loops the pipe runs on, over which the connections are divided
     */
    public HttpForwarder(URI upstream, int maxConnections, Duration idleTimeout, int loops) {
        if (!"http".equals(upstream.getScheme()) || upstream.getHost() == null) {
            throw new IllegalArgumentException("--forward takes an http:// URL with a host, not '" + upstream + "'");
        }
        this.upstream = upstream;
        this.maxConnections = maxConnections;
        int perLoop = Math.max(1, (maxConnections + loops - 1) / loops);
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
            protected FixedChannelPool newPool(EventLoop loop) {
                return new FixedChannelPool(bootstrap.clone(loop), new AbstractChannelPoolHandler() {
                    @Override
                    public void channelCreated(Channel channel) {
                        // Body pieces as large as a socket read (Netty's default splits them at 8 KiB).
                        HttpDecoderConfig decoding = new HttpDecoderConfig().setMaxChunkSize(EventLoops.MAX_READ);
                        channel.pipeline().addLast("http", new HttpClientCodec(decoding, false, false));
                    }

                    @Override
                    public void channelReleased(Channel channel) {
                        IdleClock.of(channel, idleTimeout).released();
                    }

                    @Override
                    public void channelAcquired(Channel channel) {
                        IdleClock.of(channel, idleTimeout).acquired();
                    }
                }, ChannelHealthChecker.ACTIVE, FixedChannelPool.AcquireTimeoutAction.FAIL, POOL_WAIT.toMillis(),
                        perLoop, 4 * perLoop);
            }
        };
    }

    /** Where events go, for log lines and errors. */
    public URI upstream() {
        return upstream;
    }

    @Override
    public Future<?> dispatch(IncomingEvent incoming, Replier replier) {
        String uri;
        try {
            uri = requestUri(incoming.event());
        } catch (IllegalArgumentException refused) {
            refusals.log("refused " + incoming.peer().name(), "forward refused " + incoming.event().verb() + " from "
                    + incoming.peer().name() + ": " + refused.getMessage());
            if (incoming.event().stream() != null) {
                InboundBody.of(incoming.event().stream()).discard();
            }
            replier.reply(PipeReply.error(PipeReply.CODE_UPSTREAM_FAILED, 400, refused.getMessage()));
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        UpstreamExchange exchange = new UpstreamExchange(this, incoming, uri, replier, done);
        pools.get(loopOf(incoming)).acquire().addListener(acquired -> {
            if (acquired.isSuccess()) {
                exchange.start((Channel) acquired.getNow());
            } else if (acquired.cause() instanceof TimeoutException || acquired.cause() instanceof IllegalStateException) {
                exchange.refused("all " + maxConnections + " connections to upstream " + upstream
                        + " are busy (--forward-max-connections)");
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

    /**
     * The request target for {@code event}: the upstream's base path, then the noun's segments each encoded on its
     * own (a {@code /}, {@code ?} or {@code #} the caller encoded stays encoded), then the query. Throws
     * {@link IllegalArgumentException} for a {@code .} or {@code ..} segment (a path that climbs out of the base)
     * and for control characters, which have no business in a request line.
     */
    String requestUri(PipeEvent event) {
        StringBuilder uri = new StringBuilder(basePath);
        for (String segment : event.nounPath()) {
            if (climbs(segment)) {
                throw new IllegalArgumentException("the noun '" + event.noun() + "' has a '.' or '..' segment "
                        + "(perhaps percent-encoded), which the forward refuses: it could reach outside " + upstream);
            }
            if (segment.isEmpty()) {
                throw new IllegalArgumentException("the noun '" + event.noun() + "' has an empty segment, which the "
                        + "forward refuses: an upstream could read '//' as a host");
            }
            if (hasControlCharacter(segment)) {
                throw new IllegalArgumentException("the noun has a control character, which the forward refuses");
            }
            uri.append('/').append(PercentCoding.encodePathSegment(segment));
        }
        String query = event.query();
        if (!query.isEmpty()) {
            if (hasControlCharacter(query) || query.indexOf(' ') >= 0) {
                throw new IllegalArgumentException("the query has a space or control character, which the forward "
                        + "refuses");
            }
            uri.append('?').append(query.replace("#", "%23"));
        }
        return uri.toString();
    }

    /**
     * True for a dot segment, also one hidden behind an encoded slash or backslash: an upstream that decodes
     * {@code %2F} before it resolves the path would climb there.
     */
    private static boolean climbs(String segment) {
        for (String part : segment.split("[/\\\\]", -1)) {
            // Servlet containers drop a ";param" before they resolve: "..;" is ".." to them.
            String name = part.indexOf(';') < 0 ? part : part.substring(0, part.indexOf(';'));
            if (name.equals(".") || name.equals("..")) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasControlCharacter(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return true;
            }
        }
        return false;
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

    /** The event's own loop (a link's executor is a Netty event loop), whose pool it uses: its bodies cross no thread. */
    private static EventLoop loopOf(IncomingEvent incoming) {
        if (incoming.eventLoop() instanceof EventLoop loop) {
            return loop;
        }
        throw new IllegalStateException("the forward needs a Netty event loop, not " + incoming.eventLoop());
    }
}
