package io.restpipe;

import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts real servers and clients over mutual TLS on 127.0.0.1 with free ports, and closes them after each test.
 * Register with {@code @RegisterExtension}.
 */
public final class PipeFixture implements AfterEachCallback {
    public static final InetSocketAddress ANY_LOCAL_PORT = new InetSocketAddress("127.0.0.1", 0);

    public final TestPki pki = new TestPki();
    private final List<AutoCloseable> started = new ArrayList<>();
    private PipeSettings settings = PipeSettings.defaults()
            .withConnectWait(Duration.ofSeconds(5))
            .withEventTimeout(Duration.ofSeconds(10))
            .withDrainTimeout(Duration.ofSeconds(2));

    public PipeSettings settings() {
        return settings;
    }

    public PipeFixture settings(PipeSettings settings) {
        this.settings = settings;
        return this;
    }

    /** A server and a client connected to it. */
    public record Pair(RestPipeServer server, RestPipeClient client) {
    }

    /**
     * A server from {@link #serverBuilder()} changed by {@code server}, and a client {@code name} from
     * {@link #clientBuilder} changed by {@code client}; returns once the server has the client.
     */
    public Pair startPair(UnaryOperator<RestPipeServer.Builder> server, String name,
                          UnaryOperator<RestPipeClient.Builder> client) {
        RestPipeServer started = startServer(server.apply(serverBuilder()));
        RestPipeClient connected = startClient(client.apply(clientBuilder(name, started.pipeAddress())));
        await().atMost(Duration.ofSeconds(10)).until(() -> started.connectedClients().contains(name));
        return new Pair(started, connected);
    }

    /** Each side gets a Prometheus registry of its own, as on the command line, so tests can read /metrics. */
    private <B extends SideConfig<B>> B withMetrics(B builder) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        track(registry::close);
        return builder.metrics(registry, registry::scrape);
    }

    public RestPipeServer.Builder serverBuilder() {
        return withMetrics(RestPipeServer.builder())
                .tls(pki.server(), pki.caCertificates())
                .pipeListen(ANY_LOCAL_PORT)
                .httpListen(ANY_LOCAL_PORT)
                .settings(settings)
                .handlers(BuiltinHandlers.register(new Handlers(), "server"));
    }

    public RestPipeClient.Builder clientBuilder(String name, InetSocketAddress server) {
        return withMetrics(RestPipeClient.builder())
                .tls(pki.client(name), pki.caCertificates())
                .server(InetSocketAddress.createUnresolved("localhost", server.getPort()))
                .httpListen(ANY_LOCAL_PORT)
                .settings(settings)
                .handlers(BuiltinHandlers.register(new Handlers(), "client"));
    }

    public RestPipeServer startServer() {
        return track(serverBuilder().build().start());
    }

    public RestPipeServer startServer(RestPipeServer.Builder builder) {
        return track(builder.build().start());
    }

    public RestPipeClient startClient(String name, InetSocketAddress server) {
        return track(clientBuilder(name, server).build().start());
    }

    public RestPipeClient startClient(RestPipeClient.Builder builder) {
        return track(builder.build().start());
    }

    public <T extends AutoCloseable> T track(T closeable) {
        started.add(closeable);
        return closeable;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
        started.clear();
    }
}
