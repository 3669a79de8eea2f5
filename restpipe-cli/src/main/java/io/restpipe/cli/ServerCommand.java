package io.restpipe.cli;

import io.restpipe.RestPipeServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "server", description = "Run a server: the pipe listener and the server gateway.",
        mixinStandardHelpOptions = true)
final class ServerCommand extends OutputCommand implements Callable<Integer> {
    @Option(names = "--pipe-listen", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:1234",
            converter = HostPort.class, description = "where to accept pipes (default: ${DEFAULT-VALUE})")
    InetSocketAddress pipeListen;

    @Option(names = "--http", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8080", converter = HostPort.class,
            description = "the server gateway; port 0 = any free port (default: ${DEFAULT-VALUE})")
    InetSocketAddress http;

    @Option(names = "--max-pipes", paramLabel = "N", defaultValue = "20000",
            description = "pipes open at once; more are refused (and retry later); 0 = no limit (default: ${DEFAULT-VALUE})")
    int maxPipes;

    @Option(names = "--issuer-dir", paramLabel = "DIR",
            description = "issue client certificates with the CA in DIR (ca.crt.pem, ca.key.pem): clients enrol with "
                    + "'pki token' tokens and renew theirs over the pipe")
    Path issuerDir;

    @Option(names = "--client-cert-days", paramLabel = "N", defaultValue = "7",
            description = "with --issuer-dir, how long the client certificates it issues are valid "
                    + "(default: ${DEFAULT-VALUE})")
    int clientCertDays;

    @Mixin
    SideOptions options;

    @Override
    public Integer call() {
        RestPipeServer.Builder builder = options.configure(RestPipeServer.builder(), "server");
        if (maxPipes < 0) {
            throw new UsageError("--max-pipes must not be negative");
        }
        if (issuerDir != null) {
            if (clientCertDays < 1) {
                throw new UsageError("--client-cert-days must be at least 1");
            }
            builder.issuer(issuerDir, Duration.ofDays(clientCertDays));
        }
        RestPipeServer server = builder
                .pipeListen(HostPort.forListening(pipeListen))
                .httpListen(HostPort.forListening(http))
                .settings(options.settings().withMaxPipes(maxPipes))
                .build()
                .start();
        out().println("restpipe server: pipe on " + Addresses.show(server.pipeAddress())
                + ", gateway on http://" + Addresses.show(server.httpAddress()));
        return Running.untilStopped(server, options.meters());
    }
}
