package io.restpipe.internal.link;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.restpipe.FatalErrors;
import io.restpipe.PeerInfo;
import io.restpipe.internal.tls.CertificateDiagnosis;
import io.restpipe.internal.tls.CertificateNames;
import io.restpipe.internal.util.CloseReason;
import io.restpipe.internal.util.Failures;
import io.restpipe.internal.util.RepeatedLog;
import io.restpipe.internal.wire.Frame;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.function.Consumer;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits until the peer is authenticated, then puts a {@link PipeLink} for it at the end of the pipeline and
 * steps aside. The server knows once its TLS handshake is done. The client says hello and waits for the server's
 * first frame, because under TLS 1.3 its own handshake completes before the server has judged its certificate.
 * A failed handshake is logged with its reason and closes the connection. Event loop only.
 */
final class PipeHandshakeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(PipeHandshakeHandler.class);
    private static final RepeatedLog failures = new RepeatedLog(log, org.slf4j.event.Level.WARN,
            java.time.Duration.ofSeconds(10));

    private final boolean clientSide;
    private final Consumer<PipeLink> onLink;
    /** Where a server that issues certificates signs them; null when it issues none. */
    private final CertificateDesk desk;
    private final String instanceId;

    /**
     * @param onLink told of each authenticated link, on its event loop, before the link reads a frame of a call
     * @param desk   on a server that issues certificates, where a connection without one enrols; else null
     * @param instanceId this side's instance, told to the peer in the hello or hello reply
     */
    PipeHandshakeHandler(boolean clientSide, Consumer<PipeLink> onLink, CertificateDesk desk, String instanceId) {
        this.clientSide = clientSide;
        this.onLink = onLink;
        this.desk = desk;
        this.instanceId = instanceId;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent handshake) {
            if (handshake.isSuccess() && clientSide) {
                ctx.writeAndFlush(Frame.of(0, PipeLink.hello(instanceId)));
            } else if (handshake.isSuccess() && !presentedCertificate(ctx)) {
                if (desk == null) {
                    CloseReason.close(ctx.channel(), "the client presented no certificate");
                } else {
                    ctx.pipeline().replace(this, "enrolment", new EnrolmentHandler(desk));
                }
            } else if (handshake.isSuccess()) {
                startLink(ctx);
            } else {
                String reason = reason(ctx, handshake.cause());
                failures.log("handshake " + reason, "TLS handshake with " + ctx.channel().remoteAddress() + " failed: "
                        + reason);
                CloseReason.close(ctx.channel(), "TLS handshake failed: " + reason);
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (clientSide && msg instanceof Frame) {
            // The server answered, so it accepted our certificate: the pipe is up.
            startLink(ctx);
        }
        ctx.fireChannelRead(msg);
    }

    private static boolean presentedCertificate(ChannelHandlerContext ctx) {
        try {
            return ctx.pipeline().get(SslHandler.class).engine().getSession().getPeerCertificates().length > 0;
        } catch (SSLPeerUnverifiedException none) {
            return false;
        }
    }

    private void startLink(ChannelHandlerContext ctx) throws SSLPeerUnverifiedException {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        X509Certificate peerCert = (X509Certificate) ssl.engine().getSession().getPeerCertificates()[0];
        PeerInfo peer = new PeerInfo(CertificateNames.commonName(peerCert),
                (InetSocketAddress) ctx.channel().remoteAddress());
        PipeLink link = new PipeLink(ctx.channel(), peer, desk, instanceId);
        ctx.pipeline().addLast("link", link);
        ctx.pipeline().remove(this);
        onLink.accept(link);
    }

    /**
     * Why the handshake failed, in words: on the client, a TLS alert from the server means that the server refused
     * this client's certificate, which the alert alone does not say (under TLS 1.3 it comes after the client's side
     * of the handshake has finished, and a BoringSSL server words every refusal as internal_error).
     */
    private String reason(ChannelHandlerContext ctx, Throwable cause) {
        String reason = Failures.describe(cause);
        if (!clientSide) {
            return CertificateAlerts.isMissingCertificate(reason) ? "the client sent no certificate: it has none, or "
                    + "none issued by a CA this server trusts (its --ca) (" + reason + ")" : reason;
        }
        if (!CertificateAlerts.isRefusal(reason)) {
            return reason;
        }
        X509Certificate own = ownCertificate(ctx);
        String which = own == null ? "this client's certificate" : "this client's certificate "
                + CertificateDiagnosis.describe(own);
        String expiry = own == null ? "" : CertificateAlerts.expiryProblem(own, Instant.now());
        return "the server refused " + which + " (" + CertificateAlerts.meaning(reason) + ")" + expiry
                + "; the server's log says why: commonly an expired certificate, one signed by a CA the server does "
                + "not trust (its --ca), or one it revoked (its --crl)";
    }

    private static X509Certificate ownCertificate(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        java.security.cert.Certificate[] local = ssl == null ? null : ssl.engine().getSession().getLocalCertificates();
        return local != null && local.length > 0 && local[0] instanceof X509Certificate x509 ? x509 : null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        FatalErrors.check(cause);
        // Before the peer is authenticated, errors are TLS alerts or plain-socket garbage.
        String reason = reason(ctx, cause);
        log.debug("error on unauthenticated connection {}: {}", ctx.channel().remoteAddress(), reason);
        CloseReason.close(ctx.channel(), reason);
    }
}
