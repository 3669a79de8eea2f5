package io.restpipe.pipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The server's handshake gate on real loopback sockets. A stand-in for TLS ends a connection's "handshake" when it
 * receives a byte: 'S' for success, 'F' for failure.
 */
class HandshakeGateTest {
    private final AtomicInteger accepted = new AtomicInteger();
    private HandshakeGate gate;
    private EventLoopGroup loops;
    private Channel listening;

    @BeforeEach
    void startServer() throws InterruptedException {
        gate = new HandshakeGate(2);
        loops = EventLoops.create("gate-test", 2);
        listening = new ServerBootstrap().group(loops).channel(EventLoops.serverSocketChannel())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(new FakeHandshake(), gate);
                        accepted.incrementAndGet();
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    @AfterEach
    void stopServer() {
        listening.close().syncUninterruptibly();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void stopsAcceptingAtItsMaximumAndResumesWhenAHandshakeEnds() throws Exception {
        // One at a time: within one batch of accepts the gate may overshoot by the connections already taken.
        try (Socket first = connect(1); Socket second = connect(2)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> !listening.config().isAutoRead());
            try (Socket third = connect()) {
                // The third connection is open (the kernel accepted it) but waits in the accept queue.
                await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> accepted.get() == 2);

                send(first, 'S');
                await().atMost(Duration.ofSeconds(5)).until(() -> accepted.get() == 3);
                await().atMost(Duration.ofSeconds(5)).until(() -> gate.inProgress() == 2);

                send(second, 'F');
                await().atMost(Duration.ofSeconds(5)).until(() -> gate.inProgress() == 1
                        && listening.config().isAutoRead());
            } // the third closes before its handshake ended: counted as over too
            await().atMost(Duration.ofSeconds(5)).until(() -> gate.inProgress() == 0);
        }
    }

    @Test
    void aConnectionEndsItsCountOnce() throws Exception {
        try (Socket socket = connect(1)) {
            send(socket, 'S');
            await().atMost(Duration.ofSeconds(5)).until(() -> gate.inProgress() == 0);
        }
        // Closing after the handshake does not count it a second time.
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> gate.inProgress() == 0);
    }

    /** Connects and waits until the gate counts {@code inProgress} handshakes. */
    private Socket connect(int inProgress) throws Exception {
        Socket socket = connect();
        await().atMost(Duration.ofSeconds(5)).until(() -> gate.inProgress() == inProgress);
        return socket;
    }

    private Socket connect() throws Exception {
        Socket socket = new Socket();
        socket.connect(listening.localAddress());
        return socket;
    }

    private static void send(Socket socket, char what) throws Exception {
        OutputStream out = socket.getOutputStream();
        out.write(what);
        out.flush();
    }

    /** Fires the handshake-completion event TLS would, on the first byte received. */
    private static final class FakeHandshake extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf data = (ByteBuf) msg;
            char what = (char) data.getByte(data.readerIndex());
            ReferenceCountUtil.release(msg);
            ctx.fireUserEventTriggered(what == 'S' ? SslHandshakeCompletionEvent.SUCCESS
                    : new SslHandshakeCompletionEvent(new SSLHandshakeException("refused")));
        }
    }
}
