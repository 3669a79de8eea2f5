package io.restpipe;

import io.restpipe.internal.call.PipeCall;
import io.restpipe.internal.directory.ConnectedPeer;
import io.restpipe.internal.gateway.GatewayBackend;
import io.restpipe.internal.gateway.GatewayRole;
import io.restpipe.internal.peer.PipeServer;
import io.restpipe.internal.tls.CertificateAuthority;
import io.restpipe.internal.trust.CertificateIssuer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A RestPipe server: accepts pipes from clients, answers their events with its handlers, and lets local programs
 * (through its HTTP gateway) or Java code (through {@link #call}) call any connected client.
 *
 * <pre>{@code
 * try (RestPipeServer server = RestPipeServer.builder()
 *         .tls(Path.of("server.crt.pem"), Path.of("server.key.pem"), Path.of("ca.crt.pem"))
 *         .build().start()) {
 *     PipeReply reply = server.call("fileserver", PipeEvent.of("GET", "time")).get();
 * }
 * }</pre>
 */
public final class RestPipeServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RestPipeServer.class);
    private final Builder config;
    private final SideRuntime runtime;
    private final PipeServer pipe;
    private InetSocketAddress pipeAddress;
    private InetSocketAddress httpAddress;

    private RestPipeServer(Builder config) {
        config.requireTls();
        this.config = config;
        // One loop per core: a server's pipes and gateway connections spread over them.
        SideRuntime side = new SideRuntime("server", Runtime.getRuntime().availableProcessors(), config);
        try {
            this.pipe = pipe(config, side);
        } catch (RuntimeException unusable) {
            side.close(() -> { });
            throw unusable;
        }
        this.runtime = side;
    }

    private static PipeServer pipe(Builder config, SideRuntime side) {
        CertificateIssuer issuer = config.issuerDir == null ? null
                : new CertificateIssuer(config.issuerDir, config.clientCertificateValidity, side::revocations);
        if (issuer != null && !config.trustedCa.contains(issuer.certificate())) {
            log.warn("the issuer CA {} ({}) is not among the CAs this server trusts (--ca): the clients it enrolls "
                    + "will be refused; add its ca.crt.pem to the --ca file", issuer.certificate()
                    .getSubjectX500Principal().getName(), config.issuerDir);
        }
        PipeServer pipe = new PipeServer(config.settings, side.tls(true, issuer != null, config), side.dispatcher(),
                config.listener, side.metrics(), side.bodyMemory(), side.pipeLoops(), issuer);
        side.onRevocations(revocations -> pipe.refuseRevoked(revocations::revokes));
        return pipe;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Binds the pipe listener, then the gateway; on failure nothing is left running. */
    public RestPipeServer start() {
        try {
            pipeAddress = Binding.bind("pipe", config.pipeListen, pipe::bind);
            runtime.startWatchingFiles();
            httpAddress = runtime.startGateway(GatewayRole.SERVER, new Backend(), config.httpListen,
                    config.gatewayLimits, target -> pipe.resolveName(target).thenApply(name -> "client:" + name));
            return this;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public InetSocketAddress pipeAddress() {
        return pipeAddress;
    }

    /** The gateway's bound address, or {@code null} when it runs none. */
    public InetSocketAddress httpAddress() {
        return httpAddress;
    }

    /** Calls the client {@code target} (identity name, IP address or DNS name) and completes with its reply. */
    public CompletableFuture<PipeReply> call(String target, PipeEvent event) {
        return pipe.call(target, event);
    }

    /** Names of the connected clients. */
    public List<String> connectedClients() {
        return pipe.clientNames();
    }

    /** Stops taking calls and pipes, lets calls in flight finish up to the drain timeout, then closes everything. */
    @Override
    public void close() {
        runtime.close(pipe::close);
    }

    private final class Backend implements GatewayBackend {
        @Override
        public CompletableFuture<PipeCall> start(String target, PipeEvent event, boolean streamBody,
                                                 long contentLength) {
            return pipe.start(target, event, streamBody, contentLength);
        }

        @Override
        public boolean isUp() {
            return pipe.isListening();
        }

        @Override
        public List<ConnectedPeer> clients() {
            return pipe.clients();
        }

        @Override
        public String scrapeMetrics() {
            return runtime.scrapeMetrics();
        }
    }

    /** Configures a {@link RestPipeServer}; the pipe listens on 0.0.0.0:1234 and the gateway on 127.0.0.1:8080. */
    public static final class Builder extends SideConfig<Builder> {
        InetSocketAddress pipeListen = new InetSocketAddress("0.0.0.0", 1234);
        Path issuerDir;
        Duration clientCertificateValidity = Duration.ofDays(7);

        private Builder() {
            super(new InetSocketAddress("127.0.0.1", 8080));
        }

        /**
         * Issues client certificates with the CA in {@code caDir} (its {@code ca.crt.pem} and {@code ca.key.pem}):
         * clients enrol with one-time tokens ({@code restpipe pki token}) and renew theirs over the pipe, each
         * certificate valid for {@code clientCertificateValidity} (SPEC §11).
         */
        public Builder issuer(Path caDir, Duration clientCertificateValidity) {
            this.issuerDir = caDir;
            this.clientCertificateValidity = Objects.requireNonNull(clientCertificateValidity);
            return this;
        }

        /** Where the server accepts pipes (port 0 = any free port). */
        public Builder pipeListen(InetSocketAddress address) {
            this.pipeListen = address;
            return this;
        }

        /** An issuing server checks its own CA's revocation list unless told another: it must not renew the revoked. */
        @Override
        Path crlInForce() {
            Path issuersList = issuerDir == null ? null : issuerDir.resolve(CertificateAuthority.CRL_FILE);
            return crlFile == null && issuersList != null && Files.exists(issuersList) ? issuersList : crlFile;
        }

        public RestPipeServer build() {
            return new RestPipeServer(this);
        }
    }
}
