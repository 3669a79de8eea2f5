package io.restpipe.internal.peer;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.restpipe.PeerInfo;
import io.restpipe.PipeEvent;
import io.restpipe.PipeListener;
import io.restpipe.PipeReply;
import io.restpipe.PipeSettings;
import io.restpipe.internal.call.BodyMemory;
import io.restpipe.internal.call.EventDispatcher;
import io.restpipe.internal.call.PeerCalls;
import io.restpipe.internal.call.PipeCall;
import io.restpipe.internal.directory.ConnectedPeer;
import io.restpipe.internal.directory.InMemoryPeerDirectory;
import io.restpipe.internal.directory.PeerDirectory;
import io.restpipe.internal.link.CertificateDesk;
import io.restpipe.internal.link.PipeInitializer;
import io.restpipe.internal.link.PipeLink;
import io.restpipe.internal.metrics.PipeMetrics;
import io.restpipe.internal.tls.TlsContexts;
import io.restpipe.internal.tls.TlsMaterial;
import io.restpipe.internal.util.EventLoops;
import io.restpipe.internal.util.RandomIds;
import io.restpipe.internal.util.RepeatedLog;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts pipes from clients over mutual TLS and calls them by target. Thread-safe.
 *
 * <pre>{@code
 * PipeServer server = new PipeServer(settings, ssl, dispatcher, listener, metrics, BodyMemory.unlimited(),
 *         EventLoops.create("pipe", 0));
 * server.bind(new InetSocketAddress("0.0.0.0", 1234));
 * server.call("fileserver", PipeEvent.of("GET", "time")).get();
 * }</pre>
 */
public final class PipeServer implements AutoCloseable {
    /** This process's instance of this side: new each time it is built, told to every peer in the hello (SPEC §10). */
    private final String instanceId = RandomIds.next();
    private static final Logger log = LoggerFactory.getLogger(PipeServer.class);
    private static final Duration IDLE_NOTICE = Duration.ofMinutes(1);
    private static final int RESOLVER_THREADS = 8;
    /** How long a connected client's pipe has to answer a heartbeat when a new pipe claims its name. */
    static final Duration LIVENESS_PROBE = Duration.ofSeconds(1);
    private static final RepeatedLog conflicts = new RepeatedLog(log, org.slf4j.event.Level.WARN,
            Duration.ofSeconds(10));
    private static final int RESOLVER_QUEUE = 1_000;

    private final PipeSettings settings;
    private final PipeListener listener;
    private final PipeMetrics metrics;
    private final EventLoopGroup group;
    /**
     * Its own loop for accepting: on a pipe loop busy with handshakes, accepting waits its turn and the kernel's
     * accept queue overflows in a reconnect storm (its clients then wait out TCP retransmissions).
     */
    private final EventLoopGroup acceptor = EventLoops.create("restpipe-accept", 1);
    /** The certificates the latest revocation list names, checked again as a pipe is admitted. */
    private volatile Predicate<X509Certificate> revoked = certificate -> false;
    private final ExecutorService resolver;
    private final PeerDirectory<Peer> registry;
    private final EventDispatcher dispatcher;
    private final BodyMemory bodyMemory;
    private final ServerBootstrap bootstrap;
    private volatile Channel serverChannel;

    /**
     * @param tls           the TLS context of each new pipe
     * @param bodyMemory the budget of this side's bodies, shared with its gateway
     * @param group      the event loops the pipes run on; the caller shuts them down after {@link #close()}
     */
    public PipeServer(PipeSettings settings, TlsMaterial tls, EventDispatcher dispatcher,
                      PipeListener listener, PipeMetrics metrics, BodyMemory bodyMemory, EventLoopGroup group) {
        this(settings, tls, dispatcher, listener, metrics, bodyMemory, group, null);
    }

    /** @param desk where clients enrol and renew their certificates, when this server issues them; else null */
    public PipeServer(PipeSettings settings, TlsMaterial tls, EventDispatcher dispatcher, PipeListener listener,
                      PipeMetrics metrics, BodyMemory bodyMemory, EventLoopGroup group, CertificateDesk desk) {
        this.settings = settings;
        this.listener = listener;
        this.metrics = metrics;
        this.group = group;
        // Host name look-ups block: a few threads and a bounded queue, so callers naming random hosts cannot
        // spawn a thread each; past the queue a call gets 503.
        ThreadPoolExecutor lookUps = new ThreadPoolExecutor(RESOLVER_THREADS, RESOLVER_THREADS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(RESOLVER_QUEUE), new DefaultThreadFactory("restpipe-resolver", true));
        lookUps.allowCoreThreadTimeOut(true);
        this.resolver = lookUps;
        this.registry = new InMemoryPeerDirectory<>(group, resolver);
        this.dispatcher = dispatcher;
        this.bodyMemory = bodyMemory;
        this.bootstrap = new ServerBootstrap()
                .group(acceptor, group)
                .channel(EventLoops.serverSocketChannel())
                // Thousands of clients reconnect at once after a restart: the kernel holds them only until accepted,
                // which is at once; the handshake gate holds them from there (see HandshakeGate).
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.ALLOCATOR, EventLoops.ALLOCATOR)
                .childOption(ChannelOption.ALLOCATOR, EventLoops.ALLOCATOR)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, EventLoops.readSizes())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new PipeInitializer(false, tls, null, settings, metrics, this::linkUp, desk,
                        instanceId));
    }

    /** Starts accepting pipes on {@code address} (port 0 = any free port) and returns the bound address. */
    public InetSocketAddress bind(InetSocketAddress address) throws InterruptedException {
        serverChannel = bootstrap.bind(address).sync().channel();
        group.scheduleAtFixedRate(this::noticeIdle, IDLE_NOTICE.toMillis(), IDLE_NOTICE.toMillis(),
                TimeUnit.MILLISECONDS);
        InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
        log.info("pipe listener on {} (TLS by {}, {} transport)", bound, io.restpipe.internal.tls.TlsContexts.provider(),
                EventLoops.transportName());
        return bound;
    }

    public boolean isListening() {
        Channel channel = serverChannel;
        return channel != null && channel.isActive();
    }

    /** The connected clients' names. */
    public List<String> clientNames() {
        return registry.local().stream().map(peer -> peer.peer().name()).sorted().toList();
    }

    /** The rows of {@code GET /clients}. */
    public List<ConnectedPeer> clients() {
        return registry.snapshot();
    }

    public PipeSettings settings() {
        return settings;
    }

    /**
     * Calls the client named by {@code target} (see {@link PeerDirectory#resolve}), waiting up to the connect
     * wait for it to be connected and up to {@code timeout} (or the event timeout) for the reply.
     */
    public CompletableFuture<PipeReply> call(String target, PipeEvent event) {
        return start(target, event, false, -1).thenCompose(PipeCall::reply);
    }

    /**
     * The name of the client {@code target} (a name, IP address or DNS name) stands for, once it is connected, waiting
     * for it as {@link #start} does.
     */
    public CompletableFuture<String> resolveName(String target) {
        return registry.resolve(target, settings.connectWait()).thenApply(peer -> peer.peer().name());
    }

    /** Like {@link #call}, for a request body that streams: completes once the call is under way. */
    public CompletableFuture<PipeCall> start(String target, PipeEvent event, boolean streamBody, long contentLength) {
        Duration timeout = event.timeout() != null ? event.timeout() : settings.eventTimeout();
        return registry.resolve(target, settings.connectWait())
                .thenApply(peer -> peer.calls().start(event, timeout, streamBody, contentLength));
    }

    /**
     * Refuses and closes the live pipes of the clients whose certificates {@code revoked} names, and from now on any
     * pipe it names that comes up (one whose handshake was checked against the list before).
     */
    public void refuseRevoked(Predicate<X509Certificate> revoked) {
        this.revoked = revoked;
        for (Peer peer : registry.local()) {
            peer.link().refuseIf(revoked, "the certificate of client " + peer.peer().name()
                    + " was revoked (the server's --crl)");
        }
    }

    /**
     * A pipe named like a connected client is let in only if that client's pipe is dead: it must answer a heartbeat
     * within {@link #LIVENESS_PROBE}, else it is replaced. A live client can so never be displaced, by a stolen or
     * duplicated certificate, while one whose connection died silently comes back at once.
     */
    private void linkUp(PipeLink link) {
        X509Certificate certificate = link.peerCertificate();
        if (certificate != null && revoked.test(certificate)) {
            link.refuse("the certificate of client " + link.peer().name() + " was revoked (the server's --crl)");
            return;
        }
        Peer newcomer = new Peer(link, new PeerCalls(link.peer(), false, dispatcher, settings, metrics, bodyMemory));
        Peer existing = registry.get(newcomer.peer().name());
        if (existing == null || !existing.isAvailable()) {
            admit(newcomer);
            return;
        }
        existing.link().probe(LIVENESS_PROBE).thenAccept(alive -> link.sink().executor().execute(() -> {
            if (!newcomer.isAvailable()) {
                return;
            }
            if (!alive) {
                admit(newcomer);
                return;
            }
            String conflict = "client " + newcomer.peer().name() + " is already connected from "
                    + existing.peer().address() + " and answers heartbeats; a second pipe with the same identity "
                    + "is refused (is this certificate used on two machines?)";
            conflicts.log(newcomer.peer().name(), "refusing a pipe from " + newcomer.peer().address() + ": "
                    + conflict);
            link.refuse(conflict);
        }));
    }

    private void admit(Peer admitted) {
        PeerInfo peer = admitted.peer();
        Peer replaced = registry.register(admitted);
        boolean resumed = admitted.link().resumedTls();
        metrics.pipeUp(resumed);
        if (replaced != null) {
            replaced.link().close("replaced by a newer pipe from " + peer.address() + " (this one did not answer a "
                    + "heartbeat within " + LIVENESS_PROBE.toMillis() + " ms)");
        }
        log.info("client {} connected from {}{}", peer.name(), peer.address(), resumed ? " (TLS session resumed)" : "");
        listener.clientAdded(peer, registry.size());
        listener.peerStarted(peer);
        admitted.link().closeFuture().thenAccept(reason -> {
            metrics.pipeDown();
            registry.unregister(admitted);
            log.info("client {} at {} disconnected: {}", peer.name(), peer.address(), reason);
            listener.clientRemoved(peer, registry.size(), reason);
            listener.peerStopped(peer);
        });
    }

    private void noticeIdle() {
        if (registry.size() == 0) {
            listener.idle();
        }
    }

    /**
     * Stops accepting pipes, tells every client it is going away, lets calls in flight finish for up to the drain
     * timeout, then closes every pipe.
     */
    @Override
    public void close() {
        Channel channel = serverChannel;
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        registry.local().forEach(peer -> peer.link().goAway("server shutting down"));
        Drain.await(registry::local, settings.drainTimeout());
        registry.local().forEach(peer -> peer.link().close("server shut down"));
        registry.local().forEach(peer -> peer.link().closeFuture().orTimeout(2, TimeUnit.SECONDS)
                .exceptionally(e -> null).join());
        resolver.shutdownNow();
        acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
