package io.restpipe.internal.peer;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoopGroup;
import io.restpipe.PeerInfo;
import io.restpipe.PipeEvent;
import io.restpipe.PipeException;
import io.restpipe.PipeListener;
import io.restpipe.PipeReply;
import io.restpipe.PipeSettings;
import io.restpipe.internal.call.BodyMemory;
import io.restpipe.internal.call.EventDispatcher;
import io.restpipe.internal.call.PeerCalls;
import io.restpipe.internal.call.PipeCall;
import io.restpipe.internal.link.CertificateFrames;
import io.restpipe.internal.link.PipeInitializer;
import io.restpipe.internal.link.PipeLink;
import io.restpipe.internal.link.ReconnectPolicy;
import io.restpipe.internal.metrics.PipeMetrics;
import io.restpipe.internal.tls.TlsMaterial;
import io.restpipe.internal.util.CloseReason;
import io.restpipe.internal.util.EventLoops;
import io.restpipe.internal.util.Failures;
import io.restpipe.internal.util.RandomIds;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one pipe to the server up forever, reconnecting as {@link ReconnectPolicy} says, and calls the server
 * through it. Thread-safe.
 *
 * <pre>{@code
 * PipeClient client = new PipeClient(InetSocketAddress.createUnresolved("server", 1234), settings, ssl,
 *         dispatcher, listener, metrics, BodyMemory.unlimited(), EventLoops.create("pipe", 1));
 * client.start();
 * client.call(PipeEvent.of("GET", "time")).get();
 * }</pre>
 */
public final class PipeClient implements AutoCloseable {
    /** This process's instance of this side: new each time it is built, told to every peer in the hello (SPEC §10). */
    private final String instanceId = RandomIds.next();
    private static final Logger log = LoggerFactory.getLogger(PipeClient.class);

    private final InetSocketAddress serverAddress;
    private final PipeSettings settings;
    private final PipeListener listener;
    private final PipeMetrics metrics;
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final ReconnectPolicy reconnects = new ReconnectPolicy();
    /** The calls with the server: one state for the life of the client, attached to each new link in turn. */
    private final PeerCalls calls;
    private volatile Peer current;
    private volatile CompletableFuture<Peer> nextSession = new CompletableFuture<>();
    private volatile boolean closing;

    /**
     * @param serverAddress where to dial; an unresolved address is looked up afresh on every attempt
     * @param tls           the TLS context of each new pipe
     * @param bodyMemory    the budget of this side's bodies, shared with its gateway
     * @param group         the event loops the pipe runs on; the caller shuts them down after {@link #close()}
     */
    public PipeClient(InetSocketAddress serverAddress, PipeSettings settings, TlsMaterial tls,
                      EventDispatcher dispatcher, PipeListener listener, PipeMetrics metrics, BodyMemory bodyMemory,
                      EventLoopGroup group) {
        this.serverAddress = serverAddress;
        this.settings = settings;
        this.listener = listener;
        this.metrics = metrics;
        this.group = group;
        this.bootstrap = new Bootstrap()
                .group(group)
                .channelFactory(EventLoops.socketChannels())
                .option(ChannelOption.ALLOCATOR, EventLoops.ALLOCATOR)
                .option(ChannelOption.RCVBUF_ALLOCATOR, EventLoops.readSizes())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.heartbeatTimeout().toMillis())
                .handler(new PipeInitializer(true, tls, serverAddress, settings, metrics, this::linkUp, null,
                        instanceId));
        this.calls = new PeerCalls(new PeerInfo(serverAddress.getHostString(), serverAddress), true, dispatcher,
                settings, metrics, bodyMemory);
    }

    /** Dials from {@code address} (any port) instead of the system's choice; call before {@link #start()}. */
    public PipeClient localAddress(java.net.InetAddress address) {
        bootstrap.localAddress(address, 0);
        return this;
    }

    /** Starts dialing; returns at once. Calls made before the pipe is up wait for it up to the connect wait. */
    public void start() {
        group.execute(this::connect);
    }

    public boolean isConnected() {
        return calls.isAvailable();
    }

    public PipeSettings settings() {
        return settings;
    }

    /** Completes with the live pipe, waiting for it up to {@code wait}; fails with UNAVAILABLE after that. */
    private CompletableFuture<Peer> awaitSession(Duration wait) {
        Peer session = current;
        if (session != null && session.isAvailable()) {
            return CompletableFuture.completedFuture(session);
        }
        CompletableFuture<Peer> result = new CompletableFuture<>();
        nextSession.thenAccept(result::complete);
        var timeout = group.schedule(() -> result.completeExceptionally(new PipeException(
                PipeException.Kind.UNAVAILABLE, "pipe to " + serverAddress.getHostString() + ":"
                + serverAddress.getPort() + " is down (waited " + wait.toMillis() + " ms)")),
                wait.toNanos(), TimeUnit.NANOSECONDS);
        result.whenComplete((s, e) -> timeout.cancel(false));
        return result;
    }

    /** Calls the server, waiting up to the connect wait for the pipe and up to the event timeout for the reply. */
    public CompletableFuture<PipeReply> call(PipeEvent event) {
        return start(event, false, -1).thenCompose(PipeCall::reply);
    }

    /** Like {@link #call}, for a request body that streams: completes once the call is under way. */
    public CompletableFuture<PipeCall> start(PipeEvent event, boolean streamBody, long contentLength) {
        Duration timeout = event.timeout() != null ? event.timeout() : settings.eventTimeout();
        return awaitSession(settings.connectWait())
                .thenApply(session -> session.calls().start(event, timeout, streamBody, contentLength));
    }

    private void connect() {
        if (closing) {
            return;
        }
        ChannelFuture attempt = bootstrap.connect(serverAddress);
        attempt.addListener(done -> {
            if (!done.isSuccess()) {
                attemptFailed(done.cause());
                return;
            }
            Channel channel = attempt.channel();
            // Read after the task that closed the channel: TLS reports an alert's reason only after it has closed.
            channel.closeFuture().addListener(closed -> channel.eventLoop().execute(() -> {
                // A pipe that got as far as a session reports its end through the session instead.
                if (PipeLink.on(channel) == null) {
                    attemptFailed(new PipeException(PipeException.Kind.UNAVAILABLE,
                            CloseReason.of(channel, "connection closed during the TLS handshake")));
                }
            }));
        });
    }

    /**
     * Asks the server, over the pipe, for a certificate for the key in {@code csr} (a renewal) and completes with the
     * chain it issued; fails at once when the pipe is down, or with the server's words when it refuses.
     */
    public CompletableFuture<List<X509Certificate>> requestCertificate(byte[] csr) {
        Peer session = current;
        if (session == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("the pipe is down"));
        }
        return session.link().requestCertificate(csr).thenApply(CertificateFrames::chain);
    }

    /** Whether the pipe is up to a server that signs certificates, so that this client can renew its own. */
    public boolean canRenewCertificate() {
        Peer session = current;
        return session != null && session.link().serverIssuesCertificates();
    }

    /** Refuses and closes the pipe when the server's certificate is one {@code revoked} names. */
    public void refuseRevoked(Predicate<X509Certificate> revoked) {
        Peer session = current;
        if (session != null) {
            session.link().refuseIf(revoked, "the server's certificate was revoked (the client's --crl)");
        }
    }

    private void linkUp(PipeLink link) {
        Peer session = new Peer(link, calls);
        reconnects.pipeUp();
        current = session;
        boolean resumed = link.resumedTls();
        metrics.pipeUp(resumed);
        log.info("connected to server at {} (certificate CN={}{})", session.peer().address(), session.peer().name(),
                resumed ? ", TLS session resumed" : "");
        listener.connected(session.peer());
        listener.peerStarted(session.peer());
        CompletableFuture<Peer> waiting = nextSession;
        nextSession = new CompletableFuture<>();
        waiting.complete(session);
        link.closeFuture().thenAccept(reason -> sessionEnded(session, reason));
    }

    private void sessionEnded(Peer session, String reason) {
        current = null;
        metrics.pipeDown();
        log.info("disconnected from server at {}: {}", session.peer().address(), reason);
        listener.disconnected(session.peer(), reason);
        listener.peerStopped(session.peer());
        scheduleReconnect(reconnects.afterPipeEnded(Duration.between(session.link().connectedSince(), Instant.now())));
    }

    private void attemptFailed(Throwable cause) {
        if (closing) {
            return;
        }
        Duration delay = reconnects.afterFailedAttempt(isRefused(cause), Instant.now());
        metrics.connectFailed();
        int attempts = reconnects.failedAttempts();
        if (attempts == 1 || attempts % 10 == 0) {
            log.warn("cannot connect to {}:{} (attempt {}, failing since {}): {}", serverAddress.getHostString(),
                    serverAddress.getPort(), attempts, reconnects.failingSince(), Failures.describe(cause));
        }
        listener.connectFailed(attempts, reconnects.failingSince(), cause);
        scheduleReconnect(delay);
    }

    private static boolean isRefused(Throwable cause) {
        return cause instanceof ConnectException && !(cause instanceof ConnectTimeoutException)
                && cause.getMessage() != null && cause.getMessage().contains("refused");
    }

    private void scheduleReconnect(Duration delay) {
        if (!closing) {
            group.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Stops reconnecting, tells the server this side is going away, lets calls in flight finish for up to the
     * drain timeout, then closes the pipe.
     */
    @Override
    public void close() {
        closing = true;
        Peer session = current;
        if (session != null) {
            session.link().goAway("client shutting down");
            Drain.await(() -> List.of(session), settings.drainTimeout());
            session.link().close("client shut down");
            session.link().closeFuture().orTimeout(2, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
    }
}
