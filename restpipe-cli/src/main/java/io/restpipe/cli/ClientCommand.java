package io.restpipe.cli;

import io.restpipe.RestPipeClient;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "client", description = "Run a client: keep the pipe to one server up forever, and the client gateway.",
        mixinStandardHelpOptions = true)
final class ClientCommand extends OutputCommand implements Callable<Integer> {
    private static final Duration ENROLL_TIMEOUT = Duration.ofSeconds(30);

    @Option(names = "--server", paramLabel = "HOST:PORT", defaultValue = "localhost:1234",
            converter = HostPort.class, description = "the server to dial (default: ${DEFAULT-VALUE})")
    InetSocketAddress server;

    @Option(names = "--http", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8081", converter = HostPort.class,
            description = "the client gateway; port 0 = any free port (default: ${DEFAULT-VALUE})")
    InetSocketAddress http;

    @Option(names = "--enroll", paramLabel = "TOKEN",
            description = "with no --cert file yet: make a key, get a certificate from the server with this one-time "
                    + "token (restpipe pki token), write --cert and --key, and carry on")
    String enrollToken;

    @Mixin
    SideOptions options;

    @Override
    public Integer call() {
        if (enrollToken != null) {
            enroll();
        }
        RestPipeClient client = options.configure(RestPipeClient.builder(), "client")
                .server(server)
                .httpListen(HostPort.forListening(http))
                .build()
                .start();
        out().println("restpipe client: dialing " + server.getHostString() + ":" + server.getPort()
                + ", gateway on http://" + Addresses.show(client.httpAddress()));
        return Running.untilStopped(client, options.meters());
    }

    private void enroll() {
        if (options.cert == null || options.key == null || options.ca == null) {
            throw new UsageError("--enroll needs --cert and --key (where to write them) and --ca (to check the server)");
        }
        if (Files.exists(options.cert)) {
            out().println("restpipe client: " + options.cert + " exists already, so --enroll is not used");
            return;
        }
        RestPipeClient.enroll(server, options.ca, options.cert, options.key, enrollToken.trim(), ENROLL_TIMEOUT);
        out().println("restpipe client: enrolled; wrote " + options.cert + " and " + options.key);
    }
}
