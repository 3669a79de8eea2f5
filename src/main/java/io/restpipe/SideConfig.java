package io.restpipe;

import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import io.restpipe.pipe.PipeListener;
import io.restpipe.pipe.PipeSettings;
import io.restpipe.tls.Identity;
import io.restpipe.tls.PemFiles;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/** What a server and a client are both configured with; the base of their builders. */
public abstract class SideConfig<B extends SideConfig<B>> {
    Identity identity;
    List<X509Certificate> trustedCa;
    InetSocketAddress httpListen;
    Handlers handlers;
    PipeListener listener = new PipeListener() { };
    PipeSettings settings = PipeSettings.defaults();
    long maxBodyBytes = io.restpipe.gateway.HttpGateway.UNLIMITED_BODY;
    int maxCalls = io.restpipe.gateway.HttpGateway.DEFAULT_MAX_CALLS;
    java.net.URI forward;
    InetSocketAddress statsd;

    SideConfig(InetSocketAddress defaultHttp) {
        this.httpListen = defaultHttp;
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** Own identity and the CA that signs the other side. */
    public B tls(Identity identity, List<X509Certificate> trustedCa) {
        this.identity = identity;
        this.trustedCa = List.copyOf(trustedCa);
        return self();
    }

    /** Own identity and the CA that signs the other side, from PEM files. */
    public B tls(Path certificate, Path key, Path ca) {
        return tls(Identity.load(certificate, key), PemFiles.readCertificates(ca));
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
        this.maxBodyBytes = bytes;
        return self();
    }

    /** Also pushes the metrics to a StatsD agent at {@code address} (UDP); {@code null} (the default) does not. */
    public B statsd(InetSocketAddress address) {
        this.statsd = address;
        return self();
    }

    /** The most calls the gateway has in flight at once; past it, 503. 0 sets no limit. */
    public B maxCalls(int calls) {
        this.maxCalls = calls;
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

    Handlers handlersOrBuiltins(String side) {
        return handlers != null ? handlers : BuiltinHandlers.register(new Handlers(), side);
    }

    void requireTls() {
        if (identity == null || trustedCa == null) {
            throw new IllegalStateException("a certificate, its key and the CA are required (tls(...))");
        }
    }
}
