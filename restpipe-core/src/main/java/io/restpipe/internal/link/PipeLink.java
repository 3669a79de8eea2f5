package io.restpipe.internal.link;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.restpipe.FatalErrors;
import io.restpipe.PeerInfo;
import io.restpipe.internal.tls.PipeTrustManager;
import io.restpipe.internal.util.CloseReason;
import io.restpipe.internal.util.RandomIds;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameException;
import io.restpipe.internal.wire.FrameReceiver;
import io.restpipe.internal.wire.FrameSink;
import io.restpipe.internal.wire.WireMapping;
import io.restpipe.internal.wire.proto.CertificateReply;
import io.restpipe.internal.wire.proto.CertificateRequest;
import io.restpipe.internal.wire.proto.GoAway;
import io.restpipe.internal.wire.proto.Hello;
import io.restpipe.internal.wire.proto.HelloReply;
import java.io.IOException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One authenticated TLS connection to a peer, the last handler of its pipeline: answers hello, hears goaway, keeps
 * the reason it closed, and hands the frames of calls to the {@link FrameReceiver} attached to it (the peer's call
 * state, which knows nothing of sockets, and writes through {@link #sink()}). Frames are read on the channel's event loop; the rest is thread-safe.
 */
public final class PipeLink extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(PipeLink.class);
    private static final AttributeKey<PipeLink> LINK = AttributeKey.valueOf("restpipe.link");
    private static final String SOFTWARE = "restpipe-java";
    private static final List<String> CAPABILITIES = List.of("arguments", "headers", "cancel", "goaway", "stream");
    /** The server's capability of signing certificates (enrolment, renewal): it runs with --issuer-dir. */
    private static final String ISSUES_CERTIFICATES = "certificates";

    private final Channel channel;
    private final PeerInfo peer;
    private final Instant connectedSince = Instant.now();
    private final CompletableFuture<String> closed = new CompletableFuture<>();
    private volatile boolean goingAway;
    private volatile FrameReceiver receiver;
    private final FrameSink sink;
    private final String instanceId;
    /** The peer's instance, from its hello or hello reply; null until then, or when it does not say (older peers). */
    private volatile String peerInstance;
    /** What the server said it can do, in its hello reply (the client's side). */
    private volatile List<String> peerCapabilities = List.of();
    /** On a server that issues certificates, where this client renews its own; else null. */
    private final CertificateDesk desk;
    /** The client's renewal waiting for the server's reply; event loop only. */
    private CompletableFuture<CertificateReply> renewal;
    /** The server's: whether this client has a renewal being signed (one at a time); event loop only. */
    private boolean signing;
    /** The server's: when it last signed for this link, so that a client cannot keep it signing; event loop only. */
    private Instant lastSigned = Instant.MIN;
    /** A client renews once in its certificate's life: more often than this is refused. */
    private static final Duration RENEWAL_SPACING = Duration.ofMinutes(1);

    public PipeLink(Channel channel, PeerInfo peer) {
        this(channel, peer, null, RandomIds.next());
    }

    /**
     * @param desk       on a server that issues certificates, where this link's client renews its own; else null
     * @param instanceId this side's instance, new each time its server or client starts: told in the hello reply
     */
    public PipeLink(Channel channel, PeerInfo peer, CertificateDesk desk, String instanceId) {
        this.channel = channel;
        this.peer = peer;
        this.desk = desk;
        this.instanceId = instanceId;
        this.sink = new ChannelFrameSink(channel, () -> goingAway);
        channel.attr(LINK).set(this);
        channel.closeFuture().addListener(f -> onClosed());
    }

    /** The link on {@code channel}, or {@code null} when its peer was never authenticated. */
    public static PipeLink on(Channel channel) {
        return channel.attr(LINK).get();
    }

    /** The client's first frame, which starts the v2 conversation; {@code instanceId} is the client's instance. */
    static Hello hello(String instanceId) {
        return Hello.newBuilder().setProtocolVersion(WireMapping.PROTOCOL_VERSION)
                .addAllCapabilities(CAPABILITIES).setSoftware(SOFTWARE).setInstanceId(instanceId).build();
    }

    /**
     * The instance of the process on the other end, as its hello said: a new one means the peer restarted, and
     * what it had in flight is gone. {@code null} until the hello, or for a peer that does not say.
     */
    public String peerInstance() {
        return peerInstance;
    }

    /**
     * Hands this link's call frames to {@code callState} from now on. Called on the event loop as the link comes
     * up, before it reads another frame.
     */
    public void attach(FrameReceiver callState) {
        this.receiver = callState;
        if (!channel.isActive()) {
            callState.linkClosed(sink, CloseReason.of(channel, "connection closed by peer"));
        }
    }

    public PeerInfo peer() {
        return peer;
    }

    /** True when this link's TLS session was resumed from a ticket rather than authenticated by certificates. */
    public boolean resumedTls() {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        return ssl != null && Boolean.TRUE.equals(ssl.engine().getSession().getValue(PipeTrustManager.RESUMED));
    }

    public Instant connectedSince() {
        return connectedSince;
    }

    /** The last heartbeat round-trip time, or {@code null} when none was measured yet. */
    public Duration heartbeatRtt() {
        HeartbeatHandler heartbeat = channel.pipeline().get(HeartbeatHandler.class);
        return heartbeat == null ? null : heartbeat.lastRtt();
    }

    /** Completes with the reason once the link is closed. */
    public CompletableFuture<String> closeFuture() {
        return closed;
    }

    /** Tells the peer this side takes no new calls; the ones in flight go on. */
    public void goAway(String reason) {
        goingAway = true;
        channel.writeAndFlush(Frame.of(0, GoAway.newBuilder().setReason(reason).build()));
    }

    /** Tells the peer why its pipe is not accepted, then closes it. */
    public void refuse(String reason) {
        goingAway = true;
        channel.writeAndFlush(Frame.of(0, GoAway.newBuilder().setReason(reason).setRefused(true).build()))
                .addListener(written -> close("refused: " + reason));
    }

    /**
     * Completes with true when the peer answers a heartbeat sent now within {@code wait}: it is alive, whatever its
     * last frame was; false when it does not.
     */
    public CompletableFuture<Boolean> probe(Duration wait) {
        CompletableFuture<Boolean> alive = new CompletableFuture<>();
        channel.eventLoop().execute(() -> {
            ChannelHandlerContext heartbeat = channel.pipeline().context(HeartbeatHandler.class);
            if (heartbeat == null || !channel.isActive()) {
                alive.complete(false);
            } else {
                ((HeartbeatHandler) heartbeat.handler()).probe(heartbeat, wait).thenAccept(alive::complete);
            }
        });
        return alive;
    }

    public void close(String reason) {
        CloseReason.close(channel, reason);
    }

    /**
     * Refuses this link (the peer is told {@code reason}) when its peer's certificate is one {@code revoked} names;
     * checked on the link's event loop.
     */
    public void refuseIf(Predicate<X509Certificate> revoked, String reason) {
        channel.eventLoop().execute(() -> {
            X509Certificate certificate = peerCertificate();
            if (certificate != null && channel.isActive() && revoked.test(certificate)) {
                refuse(reason);
            }
        });
    }

    /** The certificate the peer presented, or {@code null} when it cannot be read. Event loop only. */
    public X509Certificate peerCertificate() {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return null;
        }
        try {
            Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x509 ? x509 : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    /** Where the peer's call state writes its frames: this link's channel. */
    public FrameSink sink() {
        return sink;
    }

    // ---- inbound ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!ctx.channel().isActive()) {
            // Frames decoded from the last read after the link closed: their calls were already failed or cancelled.
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof Frame frame) {
            switch (frame.type()) {
                case HELLO -> {
                    Hello hello = frame.as(Hello.class);
                    peerInstance = hello.hasInstanceId() ? hello.getInstanceId() : null;
                    channel.writeAndFlush(Frame.of(frame.id(), HelloReply.newBuilder()
                            .setProtocolVersion(WireMapping.PROTOCOL_VERSION).addAllCapabilities(CAPABILITIES)
                            .addAllCapabilities(desk == null ? List.of() : List.of(ISSUES_CERTIFICATES))
                            .setSoftware(SOFTWARE).setInstanceId(instanceId).build()));
                }
                case HELLO_REPLY -> {
                    HelloReply reply = frame.as(HelloReply.class);
                    peerCapabilities = List.copyOf(reply.getCapabilitiesList());
                    peerInstance = reply.hasInstanceId() ? reply.getInstanceId() : null;
                    log.debug("pipe to {} speaks protocol {}", peer.name(), reply.getProtocolVersion());
                    return;
                }
                case GOAWAY -> {
                    goAwayArrived(frame.as(GoAway.class));
                    return;
                }
                case CERTIFICATE_REQUEST -> {
                    renewalAsked(frame);
                    return;
                }
                case CERTIFICATE_REPLY -> {
                    CompletableFuture<CertificateReply> waiting = renewal;
                    renewal = null;
                    if (waiting != null) {
                        waiting.complete(frame.as(CertificateReply.class));
                    }
                    return;
                }
                default -> {
                }
            }
        }
        FrameReceiver callState = receiver;
        if (callState == null) {
            ReferenceCountUtil.release(msg);
            throw new FrameException("a call frame arrived before the pipe was set up");
        }
        // The hello also goes on: it tells the call state that the peer speaks protocol v2.
        callState.frameArrived(msg);
    }

    /** The server's side of a renewal: signed off the event loop, one at a time per client. */
    private void renewalAsked(Frame frame) {
        CertificateRequest request = frame.as(CertificateRequest.class);
        X509Certificate current = peerCertificate();
        boolean tooSoon = Instant.now().isBefore(lastSigned.plus(RENEWAL_SPACING));
        if (desk == null || signing || current == null || tooSoon) {
            String why = desk == null ? "this server issues no certificates (it runs without --issuer-dir)"
                    : current == null ? "this pipe's certificate cannot be read"
                    : tooSoon ? "this pipe's client was given a certificate less than "
                    + RENEWAL_SPACING.toMinutes() + " minute ago"
                    : "a renewal of this client's certificate is already being signed";
            channel.writeAndFlush(Frame.of(frame.id(), CertificateReply.newBuilder().setError(why).build()));
            return;
        }
        signing = true;
        CertificateFrames.replyTo(() -> desk.renew(current, request.getCsr().toByteArray()))
                .thenAccept(reply -> channel.eventLoop().execute(() -> {
                    signing = false;
                    lastSigned = Instant.now();
                    if (reply.hasError()) {
                        log.warn("refused to renew the certificate of client {}: {}", peer.name(), reply.getError());
                    } else {
                        log.info("renewed the certificate of client {}", peer.name());
                    }
                    channel.writeAndFlush(Frame.of(frame.id(), reply));
                }));
    }

    /** The client's side: whether the server said it signs certificates, so that a renewal can be asked of it. */
    public boolean serverIssuesCertificates() {
        return peerCapabilities.contains(ISSUES_CERTIFICATES);
    }

    /**
     * The client's side of a renewal: sends {@code csr} to the server and completes with its reply (failed if the
     * link closes first).
     */
    public CompletableFuture<CertificateReply> requestCertificate(byte[] csr) {
        CompletableFuture<CertificateReply> reply = new CompletableFuture<>();
        channel.eventLoop().execute(() -> {
            if (renewal != null || !channel.isActive()) {
                reply.completeExceptionally(new IllegalStateException(renewal != null
                        ? "a renewal is already under way" : "the pipe closed"));
                return;
            }
            renewal = reply;
            channel.writeAndFlush(Frame.of(0, CertificateRequest.newBuilder()
                    .setCsr(com.google.protobuf.ByteString.copyFrom(csr)).build()));
        });
        closed.thenAccept(reason -> reply.completeExceptionally(new IllegalStateException("the pipe closed: "
                + reason)));
        return reply;
    }

    private void goAwayArrived(GoAway goAway) {
        goingAway = true;
        if (goAway.getRefused()) {
            log.warn("{} refused this pipe: {}", peer.name(), goAway.getReason());
            CloseReason.close(channel, "refused by " + peer.name() + ": " + goAway.getReason());
        } else {
            log.info("{} is going away: {}", peer.name(), goAway.getReason());
        }
    }

    private void onClosed() {
        String reason = CloseReason.of(channel, "connection closed by peer");
        FrameReceiver callState = receiver;
        try {
            if (callState != null) {
                callState.linkClosed(sink, reason);
            }
        } finally {
            // Whatever the call state did, the server must forget this link and the client reconnect.
            closed.complete(reason);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        FatalErrors.check(cause);
        // The decoder passes our own FrameException as is and wraps everything else (such as TLS errors).
        Throwable root = cause instanceof DecoderException && !(cause instanceof FrameException)
                && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof FrameException) {
            log.warn("closing pipe to {}: protocol error: {}", peer.name(), root.getMessage());
            CloseReason.close(ctx.channel(), "protocol error: " + root.getMessage());
        } else if (root instanceof IOException || root instanceof SSLException) {
            CloseReason.close(ctx.channel(), root.getClass().getSimpleName() + ": " + root.getMessage());
        } else {
            log.warn("closing pipe to {} after an unexpected error", peer.name(), root);
            CloseReason.close(ctx.channel(), "internal error: " + root);
        }
    }
}
