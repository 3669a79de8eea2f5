package io.restpipe.cli;

import io.restpipe.SideConfig;
import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import io.restpipe.pipe.PipeSettings;
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

    @Option(names = "--max-body", paramLabel = "BYTES", defaultValue = "0",
            description = "largest request body the gateway takes, else 413; 0 = no limit (default: ${DEFAULT-VALUE})")
    long maxBodyBytes;

    @Option(names = "--max-calls", paramLabel = "N", defaultValue = "10000",
            description = "calls the gateway has in flight at once, else 503; 0 = no limit (default: ${DEFAULT-VALUE})")
    int maxCalls;

    @Option(names = "--statsd", paramLabel = "HOST:PORT", converter = HostPort.class,
            description = "also push the metrics to this StatsD agent (UDP)")
    java.net.InetSocketAddress statsd;

    @Option(names = "--debug", description = "verbose logs (also DEBUG=1)")
    boolean debug;

    PipeSettings settings() {
        return PipeSettings.defaults()
                .withHeartbeat(heartbeatInterval, heartbeatTimeout)
                .withConnectWait(connectWait)
                .withEventTimeout(eventTimeout)
                .withDrainTimeout(drainTimeout);
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
     * of {@code side} plus {@code --handler} classes), timings, limits, forward and StatsD.
     */
    <B extends SideConfig<B>> B configure(B builder, String side) {
        Logging.verbose(debug);
        requireTlsFiles();
        return builder
                .tls(cert, key, ca)
                .handlers(handlers(side))
                .settings(settings())
                .maxBodyBytes(maxBodyBytes)
                .maxCalls(maxCalls)
                .forward(forward)
                .statsd(statsd);
    }

    private void requireTlsFiles() {
        List<String> missing = new ArrayList<>();
        if (cert == null) missing.add("--cert");
        if (key == null) missing.add("--key");
        if (ca == null) missing.add("--ca");
        if (!missing.isEmpty()) {
            throw new UsageError("missing required option(s): " + String.join(", ", missing));
        }
        if (maxBodyBytes < 0 || maxCalls < 0) {
            throw new UsageError("--max-body and --max-calls must not be negative");
        }
    }
}
