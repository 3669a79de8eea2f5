package io.restpipe.cli;

import io.restpipe.Identity;
import io.restpipe.RestPipeClient;
import io.restpipe.RestPipeServer;
import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import io.restpipe.internal.tls.CertificateAuthority.Role;
import io.restpipe.internal.tls.CertificateAuthority;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "dev", mixinStandardHelpOptions = true,
        description = "All-in-one demo: a throwaway PKI, a server and a client in one process, with the built-in "
                + "handlers; prints curl lines that work against it. Ctrl-C stops.")
final class DevCommand extends OutputCommand implements Callable<Integer> {
    static final Path DEV_DIR = Path.of(".restpipe-dev");
    static final String CLIENT_NAME = "dev-client";
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(10);

    @Option(names = "--pipe-listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:1234",
            converter = HostPort.class, description = "the server's pipe listener (default: ${DEFAULT-VALUE})")
    InetSocketAddress pipeListen;

    @Option(names = "--server-http", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8080",
            converter = HostPort.class, description = "the server gateway (default: ${DEFAULT-VALUE})")
    InetSocketAddress serverHttp;

    @Option(names = "--client-http", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8081",
            converter = HostPort.class, description = "the client gateway (default: ${DEFAULT-VALUE})")
    InetSocketAddress clientHttp;

    @Option(names = "--forward", paramLabel = "URL", converter = ForwardUrl.class,
            description = "on both sides, replay events no handler takes to this HTTP upstream")
    URI forward;

    @Option(names = "--debug", description = "verbose logs (also DEBUG=1)")
    boolean debug;

    @Option(names = "--check", description = "call /time once through each gateway, print the answers and stop "
            + "(exit 1 if a call fails): a quick check that this machine can run RestPipe")
    boolean check;

    @Override
    public Integer call() throws Exception {
        Logging.verbose(debug);
        ensurePki(DEV_DIR);
        Path pki = DEV_DIR;
        SideMeters serverMeters = new SideMeters(null);
        SideMeters clientMeters = new SideMeters(null);
        RestPipeServer server = serverMeters.applyTo(RestPipeServer.builder())
                .tls(pki.resolve("server.crt.pem"), pki.resolve("server.key.pem"), pki.resolve("ca.crt.pem"))
                .pipeListen(HostPort.forListening(pipeListen))
                .httpListen(HostPort.forListening(serverHttp))
                .handlers(BuiltinHandlers.register(new Handlers(), "server"))
                .forward(forward)
                .build()
                .start();
        RestPipeClient client;
        try {
            client = clientMeters.applyTo(RestPipeClient.builder())
                    .tls(pki.resolve(CLIENT_NAME + ".crt.pem"), pki.resolve(CLIENT_NAME + ".key.pem"),
                            pki.resolve("ca.crt.pem"))
                    .server(InetSocketAddress.createUnresolved("localhost", server.pipeAddress().getPort()))
                    .httpListen(HostPort.forListening(clientHttp))
                    .handlers(BuiltinHandlers.register(new Handlers(), "client"))
                    .forward(forward)
                    .build()
                    .start();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        awaitConnected(client, Duration.ofSeconds(10));
        String serverGateway = "http://" + Addresses.show(server.httpAddress());
        String clientGateway = "http://" + Addresses.show(client.httpAddress());
        out().println("restpipe dev: server pipe on " + Addresses.show(server.pipeAddress())
                + ", server gateway " + serverGateway + ", client gateway " + clientGateway
                + ", PKI in " + DEV_DIR.toAbsolutePath());
        if (check) {
            try (clientMeters; serverMeters; client; server) {
                return checkCalls(clientGateway + "/server/time", serverGateway + "/client/localhost/time");
            }
        }
        out().println("Try:");
        out().println("  curl " + clientGateway + "/server/time");
        out().println("  curl " + serverGateway + "/client/localhost/time");
        out().println("  curl " + clientGateway + "/server/cat//hello%20/world");
        out().println("  curl " + serverGateway + "/client/localhost/cat//hello%20/world");
        out().println("  curl " + serverGateway + "/clients");
        if (forward != null) {
            out().println("  curl " + clientGateway + "/server/<path>   (no handler: replayed to " + forward + "/<path>)");
        }
        out().println("Ctrl-C stops.");
        out().flush();
        return Running.untilStopped(client, server, clientMeters, serverMeters);
    }

    private int checkCalls(String... urls) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(CHECK_TIMEOUT).build();
        int failed = 0;
        for (String url : urls) {
            String outcome;
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                        .timeout(CHECK_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
                outcome = response.statusCode() + " " + response.body();
                failed += response.statusCode() == 200 ? 0 : 1;
            } catch (IOException e) {
                outcome = "failed: " + e;
                failed++;
            }
            out().println("check: GET " + url + " -> " + outcome);
        }
        out().println(failed == 0 ? "check: ok" : "check: " + failed + " of " + urls.length + " calls failed");
        out().flush();
        return failed == 0 ? 0 : 1;
    }

    private static void awaitConnected(RestPipeClient client, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!client.isConnected() && System.nanoTime() < deadline) {
            Thread.sleep(20); // start-up only; the demo's curl lines should work the moment they are printed
        }
    }

    /** Creates the throwaway CA, server and client certificates in {@code dir} unless they are already there. */
    static void ensurePki(Path dir) {
        try {
            if (Files.exists(dir.resolve(CertificateAuthority.CA_CERT_FILE))) {
                return;
            }
            Duration validity = Duration.ofDays(3650);
            CertificateAuthority ca = CertificateAuthority.create("RestPipe dev CA", validity);
            ca.save(dir);
            Identity server = ca.issue("server", Role.SERVER, List.of("localhost"), List.of("127.0.0.1", "::1"),
                    validity);
            CertificateAuthority.save(server, dir, "server");
            CertificateAuthority.save(ca.issue(CLIENT_NAME, Role.CLIENT, List.of(), List.of(), validity), dir,
                    CLIENT_NAME);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the dev PKI in " + dir, e);
        }
    }
}
