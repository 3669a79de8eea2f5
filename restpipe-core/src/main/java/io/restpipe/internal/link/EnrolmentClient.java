package io.restpipe.internal.link;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.restpipe.internal.util.EventLoops;
import io.restpipe.internal.util.Failures;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameDecoder;
import io.restpipe.internal.wire.FrameEncoder;
import io.restpipe.internal.wire.FrameType;
import io.restpipe.internal.wire.proto.CertificateReply;
import io.restpipe.internal.wire.proto.CertificateRequest;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A client's enrolment (SPEC §11): one TLS connection to the server, which it authenticates as a pipe does but
 * without a client certificate, carrying one {@code CertificateRequest} with the token and the answer back.
 */
public final class EnrolmentClient {
    /** A certificate request and its reply are tiny; anything larger is not the server's answer. */
    private static final int MAX_FRAME = 64 * 1024;

    private EnrolmentClient() {
    }

    /**
     * Asks the server at {@code server} for a certificate for the key in {@code csr}, showing {@code token}.
     *
     * @param tls a client context with no key of its own, trusting the server's CA
     * @return the chain, leaf first; fails with the server's words when it refused, or why the connection failed
     */
    public static CompletableFuture<List<X509Certificate>> enrol(EventLoopGroup group, SslContext tls,
                                                                 InetSocketAddress server, String token, byte[] csr,
                                                                 Duration timeout) {
        CompletableFuture<List<X509Certificate>> issued = new CompletableFuture<>();
        Frame request = Frame.of(1, CertificateRequest.newBuilder().setToken(token)
                .setCsr(com.google.protobuf.ByteString.copyFrom(csr)).build());
        Bootstrap bootstrap = new Bootstrap().group(group).channelFactory(EventLoops.socketChannels())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline()
                                .addLast("tls", tls.newHandler(channel.alloc(), server.getHostString(),
                                        server.getPort()))
                                .addLast("frameDecoder", new FrameDecoder(MAX_FRAME))
                                .addLast("frameEncoder", new FrameEncoder())
                                .addLast("enrol", new Exchange(request, issued));
                    }
                });
        bootstrap.connect(server).addListener(connected -> {
            if (!connected.isSuccess()) {
                issued.completeExceptionally(new IllegalStateException("cannot reach the server at " + server + ": "
                        + Failures.describe(connected.cause())));
            }
        });
        var timer = group.schedule(() -> issued.completeExceptionally(new IllegalStateException("the server at "
                + server + " did not answer the enrolment within " + timeout.toSeconds() + " s")),
                timeout.toMillis(), TimeUnit.MILLISECONDS);
        issued.whenComplete((chain, failure) -> timer.cancel(false));
        return issued;
    }

    /** Sends the request once TLS is up and completes with the reply; closes the connection either way. */
    private static final class Exchange extends ChannelInboundHandlerAdapter {
        private final Frame request;
        private final CompletableFuture<List<X509Certificate>> issued;

        Exchange(Frame request, CompletableFuture<List<X509Certificate>> issued) {
            this.request = request;
            this.issued = issued;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            issued.whenComplete((chain, failure) -> ctx.channel().close());
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent handshake) {
                if (handshake.isSuccess()) {
                    ctx.writeAndFlush(request);
                } else {
                    issued.completeExceptionally(new IllegalStateException("TLS with the server failed: "
                            + Failures.describe(handshake.cause())));
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Frame frame && frame.type() == FrameType.CERTIFICATE_REPLY) {
                    issued.complete(CertificateFrames.chain(frame.as(CertificateReply.class)));
                }
            } catch (IllegalArgumentException refused) {
                issued.completeExceptionally(refused);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            issued.completeExceptionally(new IllegalStateException("the server closed the connection without "
                    + "answering the enrolment (does it run with --issuer-dir?)"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            issued.completeExceptionally(new IllegalStateException("enrolment failed: " + Failures.describe(cause)));
            ctx.close();
        }
    }
}
