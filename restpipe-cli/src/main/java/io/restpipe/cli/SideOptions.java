package io.restpipe.cli;

import io.restpipe.GatewayLimits;
import io.restpipe.PipeSettings;
import io.restpipe.SideConfig;
import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Options that {@code server} and {@code client} share. */
final class SideOptions {
    @Option(names = "--cert", paramLabel = "FILE", description = "own certificate (PEM)")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "own private key (PEM)")
    Path key;

    @Option(names = "--ca", paramLabel = "FILE", description = "CA certificate that signs the other side (PEM)")
    Path ca;

    @Option(names = "--crl", paramLabel = "FILE",
            description = "X.509 revocation list of the CA (pki revoke writes it): revoked peers are refused, and their "
                    + "live pipes closed; re-read when it changes")
    Path crl;

    @Option(names = "--gateway-auth", paramLabel = "FILE",
            description = "let only the callers listed here use the gateway: lines 'NAME SHA256-HEX-OF-TOKEN'; callers "
                    + "send 'Authorization: Bearer TOKEN', others get 401 (/healthz stays open); re-read when it changes")
    Path gatewayAuth;

    @Option(names = "--acl", paramLabel = "FILE",
            description = "access policy (TOML): who may call what, checked for gateway callers and for the peer's "
                    + "events; 403 naming the rule; re-read when it changes")
    Path acl;

    @Option(names = "--handler", paramLabel = "FQCN", split = ",",
            description = "handler class to load from the classpath (repeatable); default: the built-ins")
    List<String> handlerClasses = new ArrayList<>();

    @Option(names = "--forward", paramLabel = "URL", converter = ForwardUrl.class,
            description = "replay events no handler takes as HTTP requests to this upstream, e.g. http://127.0.0.1:9000")
    URI forward;

    @Option(names = "--heartbeat-interval", paramLabel = "D", defaultValue = "5s",
            converter = DurationConverter.class, description = "client heartbeat period (default: ${DEFAULT-VALUE})")
    Duration heartbeatInterval;

    @Option(names = "--heartbeat-timeout", paramLabel = "D", defaultValue = "10s",
            converter = DurationConverter.class,
            description = "drop the pipe when a heartbeat reply is this late (default: ${DEFAULT-VALUE})")
    Duration heartbeatTimeout;

    @Option(names = "--connect-wait", paramLabel = "D", defaultValue = "20s", converter = DurationConverter.class,
            description = "how long a call waits for its pipe to (re)connect before 503 (default: ${DEFAULT-VALUE})")
    Duration connectWait;

    @Option(names = "--event-timeout", paramLabel = "D", defaultValue = "60s", converter = DurationConverter.class,
            description = "how long a call waits for its reply before 504 (default: ${DEFAULT-VALUE})")
    Duration eventTimeout;

    @Option(names = "--drain-timeout", paramLabel = "D", defaultValue = "10s", converter = DurationConverter.class,
            description = "on shutdown, how long calls in flight may finish (default: ${DEFAULT-VALUE})")
    Duration drainTimeout;

    @Option(names = "--max-body", paramLabel = "BYTES", defaultValue = "0", converter = ByteSizeConverter.class,
            description = "largest request body the gateway takes, else 413; 0 = no limit (default: ${DEFAULT-VALUE})")
    long maxBodyBytes;

    @Option(names = "--max-calls", paramLabel = "N", defaultValue = "10000",
            description = "calls the gateway has in flight at once, else 503; 0 = no limit (default: ${DEFAULT-VALUE})")
    int maxCalls;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "10000",
            description = "gateway connections open at once; more get 503 and are closed; 0 = no limit "
                    + "(default: ${DEFAULT-VALUE})")
    int maxConnections;

    @Option(names = "--max-header-bytes", paramLabel = "BYTES", defaultValue = "16KiB",
            converter = ByteSizeConverter.class,
            description = "largest header block of a gateway request, else 431 (default: ${DEFAULT-VALUE})")
    long maxHeaderBytes;

    @Option(names = "--http-header-timeout", paramLabel = "D", defaultValue = "10s",
            converter = DurationConverter.class,
            description = "time from a request's first byte to the end of its headers, else 408 (default: ${DEFAULT-VALUE})")
    Duration httpHeaderTimeout;

    @Option(names = "--http-idle-timeout", paramLabel = "D", defaultValue = "60s",
            converter = DurationConverter.class,
            description = "a keep-alive gateway connection with no request for this long is closed (default: ${DEFAULT-VALUE})")
    Duration httpIdleTimeout;

    @Option(names = "--max-pipe-calls", paramLabel = "N", defaultValue = "1000",
            description = "calls in flight on one pipe in each direction; more get 503 (default: ${DEFAULT-VALUE})")
    int maxPipeCalls;

    @Option(names = "--max-queued-bytes", paramLabel = "BYTES", defaultValue = "4MiB",
            converter = ByteSizeConverter.class,
            description = "replies waiting for a peer that does not read them; past it the peer is not read, and its "
                    + "pipe is closed if that lasts (default: ${DEFAULT-VALUE})")
    long maxQueuedBytes;

    @Option(names = "--body-memory", paramLabel = "BYTES", converter = ByteSizeConverter.class,
            description = "memory all bodies may hold at once (4 MiB per streamed body); past it new bodies get 503 "
                    + "(default: half the JVM's direct memory, at most 256MiB)")
    Long bodyMemory;

    @Option(names = "--forward-max-connections", paramLabel = "N", defaultValue = "256",
            description = "connections open to the --forward upstream at once; calls past it wait, then 503 "
                    + "(default: ${DEFAULT-VALUE})")
    int forwardMaxConnections;

    @Option(names = "--forward-idle-timeout", paramLabel = "D", defaultValue = "30s",
            converter = DurationConverter.class,
            description = "an unused connection to the --forward upstream is closed after this (default: ${DEFAULT-VALUE})")
    Duration forwardIdleTimeout;

    @Option(names = "--expose-errors",
            description = "send a failed handler's stack trace to the remote caller (default: class and message only)")
    boolean exposeErrors;

    @Option(names = "--statsd", paramLabel = "HOST:PORT", converter = HostPort.class,
            description = "also push the metrics to this StatsD agent (UDP)")
    java.net.InetSocketAddress statsd;

    @Option(names = "--debug", description = "verbose logs (also DEBUG=1)")
    boolean debug;

    private SideMeters meters;

    /** The meters {@link #configure} gave the side, to close after it. */
    SideMeters meters() {
        return meters;
    }

    PipeSettings settings() {
        return PipeSettings.defaults()
                .withHeartbeat(heartbeatInterval, heartbeatTimeout)
                .withConnectWait(connectWait)
                .withEventTimeout(eventTimeout)
                .withDrainTimeout(drainTimeout)
                .withMaxPipeCalls(maxPipeCalls)
                .withMaxQueuedBytes((int) Math.min(Integer.MAX_VALUE, maxQueuedBytes));
    }

    GatewayLimits gatewayLimits() {
        return GatewayLimits.defaults()
                .withMaxBodyBytes(maxBodyBytes)
                .withMaxCalls(maxCalls)
                .withMaxConnections(maxConnections)
                .withMaxHeaderBytes((int) Math.min(Integer.MAX_VALUE, maxHeaderBytes))
                .withTimeouts(httpHeaderTimeout, httpIdleTimeout);
    }

    /** The built-ins, plus every {@code --handler} class loaded from the classpath. */
    Handlers handlers(String side) {
        Handlers handlers = BuiltinHandlers.register(new Handlers(), side);
        for (String className : handlerClasses) {
            try {
                handlers.load(className.trim());
            } catch (IllegalArgumentException e) {
                throw new UsageError(e.getMessage());
            }
        }
        return handlers;
    }

    /**
     * Checks the options and applies those both sides share to {@code builder}: TLS files, handlers (the built-ins
     * of {@code side} plus {@code --handler} classes), timings, limits, forward and the meters (Prometheus, StatsD).
     */
    <B extends SideConfig<B>> B configure(B builder, String side) {
        Logging.verbose(debug);
        requireTlsFiles();
        builder.tls(cert, key, ca)
                .handlers(handlers(side))
                .settings(settings())
                .gatewayLimits(gatewayLimits())
                .forward(forward)
                .forwardPool(forwardMaxConnections, forwardIdleTimeout)
                .exposeErrors(exposeErrors)
                .crl(crl)
                .gatewayAuth(gatewayAuth)
                .acl(acl);
        meters = new SideMeters(statsd);
        meters.applyTo(builder);
        return bodyMemory == null ? builder : builder.bodyMemory(bodyMemory);
    }

    private void requireTlsFiles() {
        List<String> missing = new ArrayList<>();
        if (cert == null) missing.add("--cert");
        if (key == null) missing.add("--key");
        if (ca == null) missing.add("--ca");
        if (!missing.isEmpty()) {
            throw new UsageError("missing required option(s): " + String.join(", ", missing));
        }
        if (maxCalls < 0 || maxConnections < 0) {
            throw new UsageError("--max-calls and --max-connections must not be negative");
        }
        if (maxPipeCalls < 1 || forwardMaxConnections < 1) {
            throw new UsageError("--max-pipe-calls and --forward-max-connections must be at least 1");
        }
        if (maxHeaderBytes < 1024 || maxQueuedBytes < 64 * 1024) {
            throw new UsageError("--max-header-bytes must be at least 1KiB and --max-queued-bytes at least 64KiB");
        }
    }
}
