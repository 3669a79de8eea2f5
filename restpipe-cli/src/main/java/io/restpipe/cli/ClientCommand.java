package io.restpipe.cli;

import io.restpipe.RestPipeClient;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "client", description = "Run a client: keep the pipe to one server up forever, and the client gateway.",
        mixinStandardHelpOptions = true)
final class ClientCommand extends OutputCommand implements Callable<Integer> {
    @Option(names = "--server", paramLabel = "HOST:PORT", defaultValue = "localhost:1234",
            converter = HostPort.class, description = "the server to dial (default: ${DEFAULT-VALUE})")
    InetSocketAddress server;

    @Option(names = "--http", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8081", converter = HostPort.class,
            description = "the client gateway; port 0 = any free port (default: ${DEFAULT-VALUE})")
    InetSocketAddress http;

    @Mixin
    SideOptions options;

    @Override
    public Integer call() {
        RestPipeClient client = options.configure(RestPipeClient.builder(), "client")
                .server(server)
                .httpListen(HostPort.forListening(http))
                .build()
                .start();
        out().println("restpipe client: dialing " + server.getHostString() + ":" + server.getPort()
                + ", gateway on http://" + Addresses.show(client.httpAddress()));
        return Running.untilStopped(client, options.meters());
    }
}
