package io.restpipe;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.restpipe.internal.call.BodyMemory;
import io.restpipe.internal.call.DispatchDecorator;
import io.restpipe.internal.call.EventDispatcher;
import io.restpipe.internal.dispatch.HandlerDispatcher;
import io.restpipe.internal.forward.HttpForwarder;
import io.restpipe.internal.gateway.CallDecorator;
import io.restpipe.internal.gateway.CallerCheck;
import io.restpipe.internal.gateway.GatewayAccess;
import io.restpipe.internal.gateway.GatewayBackend;
import io.restpipe.internal.gateway.GatewayRole;
import io.restpipe.internal.gateway.HttpGateway;
import io.restpipe.internal.metrics.PipeMetrics;
import io.restpipe.internal.tls.Revocations;
import io.restpipe.internal.tls.TlsContexts;
import io.restpipe.internal.tls.TlsMaterial;
import io.restpipe.internal.trust.AccessCheckedCalls;
import io.restpipe.internal.trust.AccessCheckedEvents;
import io.restpipe.internal.trust.AccessControl;
import io.restpipe.internal.trust.AccessPolicy;
import io.restpipe.internal.trust.CertificateExpiry;
import io.restpipe.internal.trust.CertificateRenewal;
import io.restpipe.internal.trust.FileWatcher;
import io.restpipe.internal.trust.GatewayTokens;
import io.restpipe.internal.trust.TlsFiles;
import io.restpipe.internal.trust.WatchedFile;
import io.restpipe.internal.util.EventLoops;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/** What a server and a client both run around their pipe: event loops, metrics, handlers, forward, gateway. */
final class SideRuntime {
    private final MeterRegistry meters;
    private final java.util.function.Supplier<String> metricsText;
    private final PipeMetrics metrics;
    private final BodyMemory bodyMemory;
    private final EventLoopGroup pipeLoops;
    private final HttpForwarder forwarder;
    private final HandlerDispatcher handlers;
    private final EventDispatcher dispatcher;
    private final List<CallDecorator> callDecorators;
    private final FileWatcher watcher;
    private final CallerCheck callers;
    /** The access policy's checks, or null when this side has no --acl. */
    private final AccessControl access;
    private volatile Consumer<Revocations> onRevocations = revocations -> { };
    /** This side's TLS files, when its certificate was given as files; else null. */
    private volatile TlsFiles tlsFiles;
    private final AtomicBoolean closed = new AtomicBoolean();
    private HttpGateway gateway;

    /** @param loopThreads event-loop threads for the pipe(s), the gateway and the forward */
    SideRuntime(String side, int loopThreads, SideConfig<?> config) {
        this.meters = config.meterRegistry != null ? config.meterRegistry : new SimpleMeterRegistry();
        this.metricsText = config.metricsText;
        this.metrics = new PipeMetrics(meters);
        this.bodyMemory = new BodyMemory(config.bodyMemory);
        // Files first: one that does not parse stops the side before it has any thread to leave behind.
        this.watcher = new FileWatcher(side, meters);
        this.callers = config.gatewayAuth == null ? CallerCheck.OPEN : gatewayCallers(config.gatewayAuth);
        this.access = config.acl == null ? null : accessControl(config.acl);
        // The pipe, its gateway and the forward's upstream connections share these threads: fewer threads handing
        // calls and bodies to each other beat more threads.
        this.pipeLoops = EventLoops.create("restpipe-" + side, loopThreads);
        this.forwarder = config.forward == null ? null : new HttpForwarder(config.forward,
                config.forwardMaxConnections, config.forwardIdleTimeout, loopThreads);
        this.handlers = new HandlerDispatcher(config.handlersOrBuiltins(side), forwarder, config.exposeErrors);
        List<DispatchDecorator> dispatchDecorators = new ArrayList<>();
        if (access != null) {
            boolean server = side.equals("server");
            dispatchDecorators.add(new AccessCheckedEvents(access,
                    server ? peer -> "client:" + peer.name() : peer -> "server",
                    server ? "server" : "client:" + config.identity.name()));
        }
        dispatchDecorators.addAll(config.dispatchDecorators);
        this.dispatcher = DispatchDecorator.around(handlers, dispatchDecorators);
        this.callDecorators = List.copyOf(config.callDecorators);
    }

    private CallerCheck gatewayCallers(Path file) {
        WatchedFile<GatewayTokens> tokens = new WatchedFile<>("gateway-auth",
                "gateway callers file (--gateway-auth)", file, GatewayTokens::parse);
        watcher.watch(tokens, () -> { });
        return authorization -> tokens.get().authenticate(authorization);
    }

    private AccessControl accessControl(Path file) {
        WatchedFile<AccessPolicy> policy = new WatchedFile<>("acl", "access policy (--acl)", file,
                AccessPolicy::parse);
        watcher.watch(policy, () -> { });
        return new AccessControl(policy, meters);
    }

    /**
     * The TLS material of this side's pipes: re-read from its files when it was given files ({@code --cert},
     * {@code --key}, {@code --ca}, {@code --crl}), else fixed.
     */
    TlsMaterial tls(boolean server, boolean enrolling, SideConfig<?> config) {
        String role = server ? "server" : "client";
        if (config.certificateFile == null) {
            watchExpiry(role, config.identity::certificate, false);
            return TlsMaterial.fixed(server ? TlsContexts.server(config.identity, config.trustedCa, Revocations::none,
                    enrolling) : TlsContexts.client(config.identity, config.trustedCa));
        }
        TlsFiles files = new TlsFiles(server, enrolling, config.certificateFile, config.keyFile, config.caFile,
                config.crlInForce(), watcher, revocations -> onRevocations.accept(revocations));
        tlsFiles = files;
        // A client given files renews its certificate (see renewCertificate).
        watchExpiry(role, () -> files.identity().certificate(), !server);
        return files;
    }

    /** The revocation list in force on this side; none without {@code --crl}. */
    Revocations revocations() {
        TlsFiles files = tlsFiles;
        return files == null ? Revocations.none() : files.revocations();
    }

    /**
     * Renews this client's certificate through {@code server} when it is due (SPEC §11); nothing when the
     * certificate was not given as files, which renewal replaces.
     */
    void renewCertificate(SideConfig<?> config, Function<byte[], CompletableFuture<List<X509Certificate>>> server,
                          BooleanSupplier pipeUp) {
        TlsFiles files = tlsFiles;
        if (files != null) {
            CertificateRenewal renewal = new CertificateRenewal(config.certificateFile, config.keyFile,
                    () -> files.identity().certificate(), server, pipeUp, watcher);
            watcher.every(CertificateRenewal.CHECK_EVERY, renewal::checkDue);
        }
    }

    private void watchExpiry(String role, Supplier<X509Certificate> certificate, boolean renewsItself) {
        CertificateExpiry expiry = new CertificateExpiry(role, certificate, renewsItself, meters);
        watcher.every(CertificateExpiry.CHECK_EVERY, expiry::check);
    }

    /** Who closes the live pipes of the certificates a new revocation list revokes: the side's pipe. */
    void onRevocations(Consumer<Revocations> pipe) {
        this.onRevocations = pipe;
    }

    /** Starts re-reading the files that are reloaded when they change (TLS files, --gateway-auth, --acl). */
    void startWatchingFiles() {
        watcher.start();
    }

    /** The event loops of the pipe, its gateway and its forward. */
    EventLoopGroup pipeLoops() {
        return pipeLoops;
    }

    PipeMetrics metrics() {
        return metrics;
    }

    /** The budget of this side's bodies, shared by its pipe(s) and gateway. */
    BodyMemory bodyMemory() {
        return bodyMemory;
    }

    /** What answers the peer's events: the handlers (and the forward), wrapped in the dispatch decorators. */
    EventDispatcher dispatcher() {
        return dispatcher;
    }

    /** The text {@code /metrics} answers, or {@code null} when this side exports no metrics. */
    String scrapeMetrics() {
        return metricsText == null ? null : metricsText.get();
    }

    /**
     * Starts the gateway on {@code address}, or none when it is {@code null}; returns the bound address.
     *
     * @param executor who executes a call to a target, as access rules name it ({@code client:NAME} or
     *                 {@code server})
     */
    InetSocketAddress startGateway(GatewayRole role, GatewayBackend backend, InetSocketAddress address,
                                   GatewayLimits limits, Function<String, CompletableFuture<String>> executor) {
        if (address == null) {
            return null;
        }
        List<CallDecorator> decorators = new ArrayList<>();
        if (access != null) {
            decorators.add(new AccessCheckedCalls(access, executor));
        }
        decorators.addAll(callDecorators);
        gateway = new HttpGateway(role, backend, new GatewayAccess(callers, decorators), limits, bodyMemory,
                pipeLoops);
        return Binding.bind(role.name().toLowerCase(java.util.Locale.ROOT) + " gateway", address, gateway::bind);
    }

    /** Stops the gateway taking connections, closes the pipe gracefully with {@code closePipe}, then the rest. */
    void close(Runnable closePipe) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        watcher.close();
        if (gateway != null) {
            gateway.stopAccepting();
        }
        closePipe.run();
        if (gateway != null) {
            gateway.close();
        }
        if (forwarder != null) {
            forwarder.close();
        }
        handlers.close();
        pipeLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (metricsText == null) {
            meters.close();
        }
    }
}
