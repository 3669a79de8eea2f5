package io.restpipe.pipe;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.restpipe.tls.CertificateNames;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.function.Consumer;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for the TLS handshake, then replaces itself with a {@link PipeSession} for the authenticated peer.
 * A failed handshake is logged with its reason and closes the connection. Event loop only.
 */
final class PipeHandshakeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(PipeHandshakeHandler.class);

    private final boolean clientSide;
    private final PipeSettings settings;
    private final EventDispatcher dispatcher;
    private final PipeMetrics metrics;
    private final Consumer<PipeSession> onSession;

    PipeHandshakeHandler(boolean clientSide, PipeSettings settings, EventDispatcher dispatcher,
                         PipeMetrics metrics, Consumer<PipeSession> onSession) {
        this.clientSide = clientSide;
        this.settings = settings;
        this.dispatcher = dispatcher;
        this.metrics = metrics;
        this.onSession = onSession;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent handshake) {
            if (handshake.isSuccess()) {
                startSession(ctx);
            } else {
                Throwable cause = handshake.cause();
                log.warn("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(), describe(cause));
                PipeSession.closeWithReason(ctx.channel(), "TLS handshake failed: " + describe(cause));
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void startSession(ChannelHandlerContext ctx) throws SSLPeerUnverifiedException {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        X509Certificate peerCert = (X509Certificate) ssl.engine().getSession().getPeerCertificates()[0];
        PeerInfo peer = new PeerInfo(CertificateNames.commonName(peerCert),
                (InetSocketAddress) ctx.channel().remoteAddress());
        PipeSession session = new PipeSession(ctx.channel(), peer, clientSide, dispatcher, settings, metrics);
        ctx.pipeline().replace(this, "session", session);
        if (clientSide) {
            session.sayHello();
        }
        onSession.accept(session);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Before the handshake completes, errors are TLS or plain-socket garbage; the handshake event logs them.
        log.debug("error on unauthenticated connection {}: {}", ctx.channel().remoteAddress(), describe(cause));
        ctx.close();
    }

    static String describe(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null ? root.getClass().getSimpleName() : message;
    }
}
