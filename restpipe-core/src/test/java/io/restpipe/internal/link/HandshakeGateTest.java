package io.restpipe.internal.link;

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
import io.restpipe.internal.util.EventLoops;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The server's handshake gate on real loopback sockets. A stand-in for TLS ends a connection's "handshake" when it
 * receives a byte: 'S' for success, 'F' for failure.
 */
class HandshakeGateTest {
    /** The client ports of connections whose handshake succeeded, in order. */
    private final List<Integer> completed = new CopyOnWriteArrayList<>();
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
    void holdsConnectionsPastItsMaximumUnreadAndStartsThemOldestFirst() throws Exception {
        try (Socket first = connect(1); Socket second = connect(2); Socket third = connectWaiting(1);
             Socket fourth = connectWaiting(2)) {
            // Both waiting ones have sent their "handshake", but nobody reads it yet.
            send(fourth, 'S');
            send(third, 'S');
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                    .until(() -> gate.inProgress() == 2 && gate.waiting() == 2);

            send(first, 'S');
            // The third is let in and read: its handshake ends at once, which lets the fourth in, which ends too.
            await().atMost(Duration.ofSeconds(5)).until(() -> gate.inProgress() == 1 && gate.waiting() == 0);
            assertThat(completed).containsExactly(first.getLocalPort(), third.getLocalPort(), fourth.getLocalPort());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> gate.inProgress() == 0);
    }

    @Test
    void aWaitingConnectionThatClosesGivesUpItsPlace() throws Exception {
        try (Socket first = connect(1); Socket second = connect(2)) {
            Socket third = connectWaiting(1);
            third.close();
            await().atMost(Duration.ofSeconds(5)).until(() -> gate.waiting() == 0);

            send(first, 'S');
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> gate.inProgress() == 1);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> gate.inProgress() == 0);
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

    /** Connects and waits until {@code waiting} connections wait at the gate. */
    private Socket connectWaiting(int waiting) throws Exception {
        Socket socket = connect();
        await().atMost(Duration.ofSeconds(5)).until(() -> gate.waiting() == waiting);
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
    private final class FakeHandshake extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf data = (ByteBuf) msg;
            char what = (char) data.getByte(data.readerIndex());
            ReferenceCountUtil.release(msg);
            if (what == 'S') {
                completed.add(((InetSocketAddress) ctx.channel().remoteAddress()).getPort());
            }
            ctx.fireUserEventTriggered(what == 'S' ? SslHandshakeCompletionEvent.SUCCESS
                    : new SslHandshakeCompletionEvent(new SSLHandshakeException("refused")));
        }
    }
}
