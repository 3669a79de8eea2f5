package io.restpipe.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.channel.pool.SimpleChannelPool;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.Future;
import io.restpipe.internal.util.EventLoops;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The load tool's HTTP/1.1 client: keep-alive connections to one gateway, opened as needed and reused, on the load
 * tool's own event loops. (The JDK's HttpClient queued calls behind its own threads on a busy 2-core machine and
 * measured itself more than the server.)
 */
final class GatewayCaller implements AutoCloseable {
    private final String hostHeader;
    private final Bootstrap bootstrap;
    private final SimpleChannelPool pool;

    GatewayCaller(EventLoopGroup loops, URI gateway) {
        this(loops, gateway, 0, null);
    }

    /**
     * A caller with at most {@code maxConnections} connections (0 = as many as calls at once); a call that finds them
     * all busy waits for one, and fails once it waited {@code acquireTimeout}.
     */
    GatewayCaller(EventLoopGroup loops, URI gateway, int maxConnections, Duration acquireTimeout) {
        this.hostHeader = gateway.getHost() + ":" + gateway.getPort();
        this.bootstrap = new Bootstrap()
                .group(loops)
                .channelFactory(EventLoops.socketChannels())
                .option(ChannelOption.ALLOCATOR, EventLoops.ALLOCATOR)
                .option(ChannelOption.TCP_NODELAY, true)
                .remoteAddress(gateway.getHost(), gateway.getPort());
        AbstractChannelPoolHandler codecs = new AbstractChannelPoolHandler() {
            @Override
            public void channelCreated(Channel channel) {
                channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20));
            }
        };
        this.pool = maxConnections <= 0 ? new SimpleChannelPool(bootstrap, codecs)
                : new FixedChannelPool(bootstrap, codecs, ChannelHealthChecker.ACTIVE,
                        FixedChannelPool.AcquireTimeoutAction.FAIL, acquireTimeout.toMillis(), maxConnections,
                        Integer.MAX_VALUE);
    }

    /**
     * GETs {@code path}: completes with the response's status, or exceptionally: with a {@link TimeoutException}
     * when no answer came within {@code timeout}, with another exception when the connection failed.
     */
    CompletableFuture<Integer> get(String path, Duration timeout) {
        CompletableFuture<Integer> result = new CompletableFuture<>();
        pool.acquire().addListener((Future<Channel> acquired) -> {
            if (!acquired.isSuccess()) {
                result.completeExceptionally(acquired.cause());
                return;
            }
            Channel channel = acquired.getNow();
            // Every acquired channel goes back to the pool exactly once, a closed one too: a bounded pool counts them.
            AtomicBoolean released = new AtomicBoolean();
            Runnable release = () -> {
                if (released.compareAndSet(false, true)) {
                    pool.release(channel);
                }
            };
            Runnable closeAndRelease = () -> channel.close().addListener(closed -> release.run());
            ScheduledFuture<?> timer = channel.eventLoop().schedule(() -> {
                if (result.completeExceptionally(new TimeoutException("no answer within " + timeout))) {
                    closeAndRelease.run();
                }
            }, timeout.toNanos(), TimeUnit.NANOSECONDS);
            channel.pipeline().addLast("call", new SimpleChannelInboundHandler<FullHttpResponse>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
                    timer.cancel(false);
                    ctx.pipeline().remove(this);
                    result.complete(response.status().code());
                    if (HttpUtil.isKeepAlive(response)) {
                        release.run();
                    } else {
                        closeAndRelease.run();
                    }
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) {
                    timer.cancel(false);
                    result.completeExceptionally(new IOException("the gateway closed the connection"));
                    release.run();
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    result.completeExceptionally(cause);
                    closeAndRelease.run();
                }
            });
            channel.writeAndFlush(request(path)).addListener(written -> {
                if (!written.isSuccess()) {
                    result.completeExceptionally(written.cause());
                    closeAndRelease.run();
                }
            });
        });
        return result;
    }

    /**
     * GETs every path on one new connection, all written at once (HTTP/1.1 pipelining: the gateway answers them in
     * turn). Each result is as for {@link #get}; {@code timeout} counts for all of them together.
     */
    List<CompletableFuture<Integer>> getPipelined(List<String> paths, Duration timeout) {
        List<CompletableFuture<Integer>> results = paths.stream().map(path -> new CompletableFuture<Integer>())
                .toList();
        Queue<CompletableFuture<Integer>> awaiting = new ArrayDeque<>(results);
        Bootstrap oneOff = bootstrap.clone().handler(new ChannelInboundHandlerAdapter());
        oneOff.connect().addListener((ChannelFuture connected) -> {
            if (!connected.isSuccess()) {
                results.forEach(result -> result.completeExceptionally(connected.cause()));
                return;
            }
            Channel channel = connected.channel();
            ScheduledFuture<?> timer = channel.eventLoop().schedule(() -> {
                awaiting.forEach(result -> result.completeExceptionally(
                        new TimeoutException("no answer within " + timeout)));
                channel.close();
            }, timeout.toNanos(), TimeUnit.NANOSECONDS);
            channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                    new SimpleChannelInboundHandler<FullHttpResponse>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
                            CompletableFuture<Integer> next = awaiting.poll();
                            if (next != null) {
                                next.complete(response.status().code());
                            }
                            if (awaiting.isEmpty()) {
                                timer.cancel(false);
                                ctx.close();
                            }
                        }

                        @Override
                        public void channelInactive(ChannelHandlerContext ctx) {
                            timer.cancel(false);
                            awaiting.forEach(result -> result.completeExceptionally(
                                    new IOException("the gateway closed the connection")));
                        }

                        @Override
                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                            awaiting.forEach(result -> result.completeExceptionally(cause));
                            ctx.close();
                        }
                    });
            for (String path : paths) {
                channel.write(request(path));
            }
            channel.flush();
        });
        return results;
    }

    private DefaultFullHttpRequest request(String path) {
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
        request.headers().set(HttpHeaderNames.HOST, hostHeader);
        return request;
    }

    @Override
    public void close() {
        pool.close();
    }
}
