package io.restpipe;

import io.micrometer.core.instrument.MeterRegistry;
import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import io.restpipe.internal.call.BodyMemory;
import io.restpipe.internal.call.DispatchDecorator;
import io.restpipe.internal.gateway.CallDecorator;
import io.restpipe.internal.tls.PemFiles;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/** What a server and a client are both configured with; the base of their builders. */
public abstract class SideConfig<B extends SideConfig<B>> {
    Identity identity;
    List<X509Certificate> trustedCa;
    /** The files identity and trustedCa came from, re-read when they change; null when given as objects. */
    Path certificateFile;
    Path keyFile;
    Path caFile;
    Path crlFile;
    InetSocketAddress httpListen;
    Handlers handlers;
    PipeListener listener = new PipeListener() { };
    PipeSettings settings = PipeSettings.defaults();
    GatewayLimits gatewayLimits = GatewayLimits.defaults();
    long bodyMemory = BodyMemory.defaultLimit();
    java.net.URI forward;
    int forwardMaxConnections = 256;
    Duration forwardIdleTimeout = Duration.ofSeconds(30);
    boolean exposeErrors;
    MeterRegistry meterRegistry;
    Supplier<String> metricsText;
    Path gatewayAuth;
    Path acl;
    /** Where RestPipe's own features wrap the events a peer sends and the calls the gateway starts; none today. */
    final List<DispatchDecorator> dispatchDecorators = new java.util.ArrayList<>();
    final List<CallDecorator> callDecorators = new java.util.ArrayList<>();

    SideConfig(InetSocketAddress defaultHttp) {
        this.httpListen = defaultHttp;
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** Own identity and the CA that signs the other side, fixed for the life of this side. */
    public B tls(Identity identity, List<X509Certificate> trustedCa) {
        this.identity = identity;
        this.trustedCa = List.copyOf(trustedCa);
        this.certificateFile = null;
        this.keyFile = null;
        this.caFile = null;
        return self();
    }

    /**
     * Own identity and the CAs that sign the other side (one or several, for a rotation), from PEM files that are
     * re-read when they change: new pipes use the new content, pipes already up keep theirs.
     */
    public B tls(Path certificate, Path key, Path ca) {
        tls(Identity.load(certificate, key), PemFiles.readCertificates(ca));
        this.certificateFile = certificate;
        this.keyFile = key;
        this.caFile = ca;
        return self();
    }

    /**
     * Refuses the peers whose certificates the X.509 revocation list in {@code file} revokes, at each handshake
     * (resumed ones included); re-read when it changes, and the live pipes of newly revoked certificates are closed.
     * Needs the TLS files ({@link #tls(Path, Path, Path)}); {@code null} (the default) revokes nothing.
     */
    public B crl(Path file) {
        this.crlFile = file;
        return self();
    }

    /** Where the local HTTP gateway listens (port 0 = any free port); {@code null} runs no gateway. */
    public B httpListen(InetSocketAddress address) {
        this.httpListen = address;
        return self();
    }

    /** The handlers that answer the other side's events; without this call, the built-ins. */
    public B handlers(Handlers handlers) {
        this.handlers = handlers;
        return self();
    }

    public B listener(PipeListener listener) {
        this.listener = Objects.requireNonNull(listener);
        return self();
    }

    public B settings(PipeSettings settings) {
        this.settings = Objects.requireNonNull(settings);
        return self();
    }

    /** Gateway request bodies over this many bytes are refused with 413; 0 (the default) sets no limit. */
    public B maxBodyBytes(long bytes) {
        this.gatewayLimits = gatewayLimits.withMaxBodyBytes(bytes);
        return self();
    }

    /** Everything the gateway's callers may spend; see {@link GatewayLimits#defaults()}. */
    public B gatewayLimits(GatewayLimits limits) {
        this.gatewayLimits = Objects.requireNonNull(limits);
        return self();
    }

    /**
     * The memory this side's bodies may hold at once (each streamed body holds its 4 MiB window, a gathered small
     * body its size); a body past it is refused with 503. 0 sets no limit; the default is half the JVM's direct
     * memory, at most 256 MiB.
     */
    public B bodyMemory(long bytes) {
        this.bodyMemory = bytes;
        return self();
    }

    /**
     * The forward's pool of connections to its upstream: at most {@code maxConnections} open at once (calls past it
     * wait up to 10 s for one, then get 503), each closed after {@code idleTimeout} unused. Defaults: 256, 30 s.
     */
    public B forwardPool(int maxConnections, Duration idleTimeout) {
        this.forwardMaxConnections = maxConnections;
        this.forwardIdleTimeout = Objects.requireNonNull(idleTimeout);
        return self();
    }

    /**
     * True sends a failed handler's stack trace to the remote caller, which is handy in development and tells
     * strangers about the code; by default only the exception's class and message travel.
     */
    public B exposeErrors(boolean expose) {
        this.exposeErrors = expose;
        return self();
    }

    /**
     * Where this side's meters go, and what its gateway's {@code /metrics} answers ({@code text}, e.g. a
     * Prometheus registry's {@code scrape}); RestPipe does not close {@code registry}. Give each side (a server and a
     * client in one process) a registry of its own: the meters carry no side tag, so one registry would add the two
     * sides' counts up. Without this call the meters are kept in memory only and {@code /metrics} answers 404.
     */
    public B metrics(MeterRegistry registry, Supplier<String> text) {
        this.meterRegistry = Objects.requireNonNull(registry);
        this.metricsText = Objects.requireNonNull(text);
        return self();
    }

    /** The most calls the gateway has in flight at once; past it, 503. 0 sets no limit. */
    public B maxCalls(int calls) {
        this.gatewayLimits = gatewayLimits.withMaxCalls(calls);
        return self();
    }

    /**
     * Replays events no handler takes as HTTP requests to {@code upstream} (e.g. {@code http://127.0.0.1:9000}),
     * streaming bodies both ways; {@code null} (the default) answers them 404.
     */
    public B forward(java.net.URI upstream) {
        this.forward = upstream;
        return self();
    }

    /**
     * Lets only the callers listed in {@code file} use the gateway (SPEC §11): one a line, {@code NAME
     * SHA256-HEX-OF-TOKEN}; they send {@code Authorization: Bearer TOKEN}, and anyone else gets 401 (except on
     * {@code /healthz}). The file is re-read when it changes; {@code null} (the default) leaves the gateway open to
     * whoever can reach its address.
     */
    public B gatewayAuth(Path file) {
        this.gatewayAuth = file;
        return self();
    }

    /**
     * Who may call what (SPEC §11): the TOML access policy in {@code file}, checked on this side's gateway for its
     * callers and on this side for the events its peer sends; re-read when it changes. {@code null} (the default)
     * allows everything.
     */
    public B acl(Path file) {
        this.acl = file;
        return self();
    }

    Handlers handlersOrBuiltins(String side) {
        return handlers != null ? handlers : BuiltinHandlers.register(new Handlers(), side);
    }

    /** The revocation list this side checks peers against, or {@code null}. */
    Path crlInForce() {
        return crlFile;
    }

    void requireTls() {
        if (identity == null || trustedCa == null) {
            throw new IllegalStateException("a certificate, its key and the CA are required (tls(...))");
        }
        if (crlFile != null && certificateFile == null) {
            throw new IllegalStateException("crl(file) needs the TLS files: tls(certificate, key, ca)");
        }
    }
}
