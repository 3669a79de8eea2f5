package io.restpipe;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.restpipe.internal.util.EventLoops;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameDecoder;
import io.restpipe.internal.wire.FrameEncoder;
import io.restpipe.internal.wire.FrameType;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A peer scripted by a test, speaking raw frames over real TLS: it sends what the test says and queues what it
 * receives, answering nothing by itself. Used for v1 peers, garbage frames and peers that stop answering.
 */
public final class ScriptedPeer implements AutoCloseable {
    private final EventLoopGroup group = EventLoops.create("scripted-peer", 1);
    private final BlockingQueue<Frame> received = new LinkedBlockingQueue<>();
    private final java.util.concurrent.CompletableFuture<Channel> accepted = new java.util.concurrent.CompletableFuture<>();
    private final java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
    private volatile Channel channel;
    private Channel listener;

    /** Dials a server on 127.0.0.1 with {@code identity} as client certificate (or none when null). */
    public static ScriptedPeer connect(int port, Identity identity, List<X509Certificate> ca) throws Exception {
        return connect(port, identity, ca, 0);
    }

    /** Like {@link #connect(int, Identity, List)}, with a socket receive buffer of {@code receiveBuffer} bytes. */
    public static ScriptedPeer connect(int port, Identity identity, List<X509Certificate> ca, int receiveBuffer)
            throws Exception {
        SslContextBuilder builder = SslContextBuilder.forClient().trustManager(ca).protocols("TLSv1.3");
        if (identity != null) {
            builder.keyManager(identity.key(), identity.chain());
        }
        ScriptedPeer peer = new ScriptedPeer();
        SslContext ssl = builder.build();
        Bootstrap bootstrap = new Bootstrap().group(peer.group).channelFactory(EventLoops.socketChannels());
        if (receiveBuffer > 0) {
            bootstrap.option(io.netty.channel.ChannelOption.SO_RCVBUF, receiveBuffer);
        }
        peer.channel = bootstrap
                .handler(peer.initializer(ssl, true, "localhost", port))
                .connect("127.0.0.1", port).sync().channel();
        return peer;
    }

    /** Listens on 127.0.0.1 as a server presenting {@code identity}, for clients to dial. */
    public static ScriptedPeer listen(Identity identity, List<X509Certificate> ca) throws Exception {
        ScriptedPeer peer = new ScriptedPeer();
        SslContext ssl = SslContextBuilder.forServer(identity.key(), identity.chain()).trustManager(ca)
                .clientAuth(ClientAuth.REQUIRE).build();
        peer.listener = new ServerBootstrap().group(peer.group).channel(EventLoops.serverSocketChannel())
                .childHandler(peer.initializer(ssl, false, null, 0))
                .bind("127.0.0.1", 0).sync().channel();
        return peer;
    }

    /** How many clients have dialed this listener so far. */
    public int connections() {
        return connections.get();
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    private ChannelInitializer<Channel> initializer(SslContext ssl, boolean client, String host, int port) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                SslHandler tls = client ? ssl.newHandler(ch.alloc(), host, port) : ssl.newHandler(ch.alloc());
                ch.pipeline().addLast(tls, new FrameDecoder(1 << 20), new FrameEncoder(),
                        new SimpleChannelInboundHandler<Frame>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
                                received.add(frame);
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close();
                            }
                        });
                if (!client) {
                    connections.incrementAndGet();
                    channel = ch;
                    accepted.complete(ch);
                }
            }
        };
    }

    /** Completes once the TLS handshake is done; fails if it is refused. */
    public void awaitHandshake() throws Exception {
        channel.pipeline().get(SslHandler.class).handshakeFuture().sync();
    }

    public void send(Frame frame) {
        channel.writeAndFlush(frame).syncUninterruptibly();
    }

    /** Stops reading from the socket: whatever the other side sends piles up in its own buffers. */
    public void stopReading() {
        channel.eventLoop().submit(() -> channel.config().setAutoRead(false)).syncUninterruptibly();
    }

    /**
     * Writes {@code frame} as fast as the socket allows, {@code count} times, without waiting for any of it to be
     * sent; stops early when the connection closes. Returns how many were written.
     */
    public int flood(Frame frame, int count, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        int written = 0;
        while (written < count && channel.isActive() && System.nanoTime() < deadline) {
            if (channel.isWritable()) {
                channel.write(frame);
                written++;
                if (written % 256 == 0) {
                    channel.flush();
                }
            } else {
                channel.flush();
                channel.closeFuture().await(20);
            }
        }
        channel.flush();
        return written;
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    /** Writes bytes as they are, below the frame encoder (still inside TLS). */
    public void sendRaw(ByteBuf bytes) {
        channel.pipeline().context(SslHandler.class).writeAndFlush(bytes).syncUninterruptibly();
    }

    /** The next frame received of {@code type}, skipping others; fails after {@code wait}. */
    public Frame take(FrameType type, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            Frame frame = received.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (frame == null) {
                throw new AssertionError("no " + type + " frame within " + wait);
            }
            if (frame.type() == type) {
                return frame;
            }
        }
    }

    /** The next frame received of {@code type}, skipping others, or {@code null} if none comes within {@code wait}. */
    public Frame poll(FrameType type, Duration wait) throws InterruptedException {
        try {
            return take(type, wait);
        } catch (AssertionError none) {
            return null;
        }
    }

    /** Waits for a client to have dialed this listener. */
    public void awaitConnection(Duration wait) throws Exception {
        accepted.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        awaitHandshake();
    }

    public boolean awaitClosed(Duration wait) throws InterruptedException {
        return channel.closeFuture().await(wait.toMillis());
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
