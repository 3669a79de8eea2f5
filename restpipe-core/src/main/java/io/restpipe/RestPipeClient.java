package io.restpipe;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.restpipe.internal.call.PipeCall;
import io.restpipe.internal.directory.ConnectedPeer;
import io.restpipe.internal.gateway.GatewayBackend;
import io.restpipe.internal.gateway.GatewayRole;
import io.restpipe.internal.link.EnrolmentClient;
import io.restpipe.internal.peer.PipeClient;
import io.restpipe.internal.tls.CertificateAuthority;
import io.restpipe.internal.tls.CertificateRequests;
import io.restpipe.internal.tls.PemFiles;
import io.restpipe.internal.tls.TlsContexts;
import io.restpipe.internal.util.EventLoops;
import io.restpipe.internal.util.Failures;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * A RestPipe client: keeps the pipe to its server up forever, answers the server's events with its handlers, and
 * lets local programs (through its HTTP gateway) or Java code (through {@link #call}) call the server.
 *
 * <pre>{@code
 * try (RestPipeClient client = RestPipeClient.builder()
 *         .server(InetSocketAddress.createUnresolved("pipe.example.com", 1234))
 *         .tls(Path.of("client.crt.pem"), Path.of("client.key.pem"), Path.of("ca.crt.pem"))
 *         .build().start()) {
 *     PipeReply reply = client.call(PipeEvent.of("GET", "time")).get();
 * }
 * }</pre>
 */
public final class RestPipeClient implements AutoCloseable {
    private static final CompletableFuture<String> SERVER_PARTY = CompletableFuture.completedFuture("server");
    private final Builder config;
    private final SideRuntime runtime;
    private final PipeClient pipe;
    private InetSocketAddress httpAddress;

    private RestPipeClient(Builder config) {
        config.requireTls();
        this.config = config;
        // One loop: a client has one pipe, whose TLS runs on one thread anyway, and with the gateway's connections on
        // that same thread no call crosses threads. calls.sh: 1 caller p50 0.115 ms (0.129-0.142 with a loop per
        // core, where a gateway connection landed on the pipe's loop or not), 64 callers 1.96x ssh (1.85-1.97x).
        SideRuntime side = new SideRuntime("client", 1, config);
        try {
            PipeClient client = new PipeClient(config.server, config.settings, side.tls(false, false, config),
                    side.dispatcher(), config.listener, side.metrics(), side.bodyMemory(), side.pipeLoops());
            side.onRevocations(revocations -> client.refuseRevoked(revocations::revokes));
            side.renewCertificate(config, client::requestCertificate, client::canRenewCertificate);
            this.pipe = client;
        } catch (RuntimeException unusable) {
            side.close(() -> { });
            throw unusable;
        }
        this.runtime = side;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Enrols a client that has no certificate yet (SPEC §11): makes its key here, sends a certificate request with
     * the one-time {@code token} to the server at {@code server} (which it authenticates against the CAs in
     * {@code ca}, as a pipe does), and writes the certificate and the key it gets, the key readable by its owner only.
     * Blocks until done, at most {@code timeout}.
     *
     * @throws StartupException saying why it failed: the server's words when it refused the token
     */
    public static void enroll(InetSocketAddress server, Path ca, Path certificate, Path key, String token,
                              Duration timeout) {
        // Where the files go is checked before the token is spent.
        try {
            for (Path file : List.of(PemFiles.aside(key), PemFiles.aside(certificate))) {
                Files.createDirectories(file.toAbsolutePath().getParent());
                Files.writeString(file, "");
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new StartupException("cannot write the certificate and key there: " + e, e);
        }
        EventLoopGroup loop = EventLoops.create("restpipe-enrol", 1);
        try {
            KeyPair keys = CertificateAuthority.newLeafKeys();
            SslContext tls = TlsContexts.enrolling(PemFiles.readCertificates(ca));
            byte[] csr = CertificateRequests.create(keys, "enrolling");
            List<X509Certificate> chain = EnrolmentClient.enrol(loop, tls, server, token, csr, timeout).join();
            PemFiles.replaceIdentity(certificate, key, keys.getPrivate(), chain);
        } catch (CompletionException e) {
            throw new StartupException("enrolment failed: " + Failures.describe(e), e.getCause());
        } catch (IOException e) {
            throw new StartupException("enrolment succeeded but the files cannot be written: " + e.getMessage(), e);
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** Binds the gateway and starts dialing the server; returns without waiting for the pipe. */
    public RestPipeClient start() {
        try {
            runtime.startWatchingFiles();
            httpAddress = runtime.startGateway(GatewayRole.CLIENT, new Backend(), config.httpListen,
                    config.gatewayLimits, target -> SERVER_PARTY);
            pipe.start();
            return this;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The gateway's bound address, or {@code null} when it runs none. */
    public InetSocketAddress httpAddress() {
        return httpAddress;
    }

    public boolean isConnected() {
        return pipe.isConnected();
    }

    /** Calls the server, waiting up to the connect wait for the pipe, and completes with its reply. */
    public CompletableFuture<PipeReply> call(PipeEvent event) {
        return pipe.call(event);
    }

    /** Stops taking calls, tells the server, lets calls in flight finish up to the drain timeout, then closes. */
    @Override
    public void close() {
        runtime.close(pipe::close);
    }

    private final class Backend implements GatewayBackend {
        @Override
        public CompletableFuture<PipeCall> start(String target, PipeEvent event, boolean streamBody,
                                                 long contentLength) {
            return pipe.start(event, streamBody, contentLength);
        }

        @Override
        public boolean isUp() {
            return pipe.isConnected();
        }

        @Override
        public List<ConnectedPeer> clients() {
            return List.of();
        }

        @Override
        public String scrapeMetrics() {
            return runtime.scrapeMetrics();
        }
    }

    /** Configures a {@link RestPipeClient}; it dials localhost:1234 and its gateway listens on 127.0.0.1:8081. */
    public static final class Builder extends SideConfig<Builder> {
        InetSocketAddress server = InetSocketAddress.createUnresolved("localhost", 1234);

        private Builder() {
            super(new InetSocketAddress("127.0.0.1", 8081));
        }

        /** The server to dial; an unresolved address is looked up again on every attempt. */
        public Builder server(InetSocketAddress address) {
            this.server = address;
            return this;
        }

        public RestPipeClient build() {
            return new RestPipeClient(this);
        }
    }
}
