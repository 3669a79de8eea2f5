package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameType;
import io.restpipe.internal.wire.proto.HelloReply;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The pipe surviving faults on its own: dead peers, restarts, a client that starts first, duplicate names. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PipeResilienceTest {
    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    @Test
    void clientDropsAServerThatStopsAnsweringHeartbeatsAndReconnects() throws Exception {
        fixture.settings(fixture.settings().withHeartbeat(Duration.ofMillis(200), Duration.ofMillis(600)));
        try (ScriptedPeer silentServer = ScriptedPeer.listen(fixture.pki.server(), fixture.pki.caCertificates())) {
            RecordingListener events = new RecordingListener();
            fixture.startClient(fixture.clientBuilder("watcher", new InetSocketAddress("127.0.0.1",
                    silentServer.port())).listener(events));
            silentServer.awaitConnection(Duration.ofSeconds(10));
            Frame hello = silentServer.take(FrameType.HELLO, Duration.ofSeconds(5));
            silentServer.send(Frame.of(hello.id(), HelloReply.getDefaultInstance()));
            silentServer.take(FrameType.HEARTBEAT, Duration.ofSeconds(5));
            // ... and then the server answers nothing more.
            await().atMost(Duration.ofSeconds(10)).until(() -> !events.disconnectReasons.isEmpty());
            assertThat(events.connects.get()).isEqualTo(1);
            assertThat(events.disconnectReasons.get(0)).contains("no heartbeat reply within 600 ms");
            await().atMost(Duration.ofSeconds(10)).until(() -> silentServer.connections() >= 2);
        }
    }

    @Test
    void serverDropsAClientThatFallsSilent() throws Exception {
        fixture.settings(fixture.settings().withHeartbeat(Duration.ofMillis(200), Duration.ofMillis(600)));
        RecordingListener events = new RecordingListener();
        RestPipeServer server = fixture.startServer(fixture.serverBuilder().listener(events));
        try (ScriptedPeer silentClient = ScriptedPeer.connect(server.pipeAddress().getPort(),
                fixture.pki.client("mute"), fixture.pki.caCertificates())) {
            silentClient.awaitHandshake();
            await().atMost(Duration.ofSeconds(10)).until(() -> server.connectedClients().contains("mute"));
            // The scripted client never sends anything, not even heartbeats.
            assertThat(silentClient.awaitClosed(Duration.ofSeconds(10))).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> events.removed.contains("mute/0"));
        }
    }

    @Test
    void clientReconnectsAfterTheServerRestarts() throws Exception {
        RestPipeServer first = fixture.startServer();
        int pipePort = first.pipeAddress().getPort();
        RecordingListener events = new RecordingListener();
        RestPipeClient client = fixture.startClient(fixture.clientBuilder("survivor", first.pipeAddress())
                .listener(events));
        assertThat(client.call(PipeEvent.of("GET", "time")).get(10, TimeUnit.SECONDS).code()).isZero();

        first.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> !client.isConnected());
        RestPipeServer second = fixture.startServer(fixture.serverBuilder()
                .pipeListen(new InetSocketAddress("127.0.0.1", pipePort)));

        assertThat(client.call(PipeEvent.of("GET", "cat", "back")).get(15, TimeUnit.SECONDS).bodyText())
                .isEqualTo("{\"result_from_server\":\"back\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> second.connectedClients().contains("survivor"));
        assertThat(events.connects.get()).isEqualTo(2);
        assertThat(events.started).containsExactly("server", "server");
        assertThat(events.stopped).containsExactly("server");
    }

    @Test
    void clientStartedBeforeTheServerKeepsRetryingAndACallMadeMeanwhileSucceeds() throws Exception {
        InetSocketAddress nobody = new InetSocketAddress("127.0.0.1", FreePorts.unused());
        RestPipeClient client = startRefusedClient("early", nobody, 2, Duration.ofSeconds(10));

        CompletableFuture<PipeReply> waiting = client.call(PipeEvent.of("GET", "cat", "patience"));
        fixture.startServer(fixture.serverBuilder().pipeListen(nobody));

        assertThat(waiting.get(15, TimeUnit.SECONDS).bodyText()).isEqualTo("{\"result_from_server\":\"patience\"}");
    }

    @Test
    void aClientRefusedForSecondsIsBackWithinMomentsOfTheServerStarting() throws Exception {
        InetSocketAddress nobody = new InetSocketAddress("127.0.0.1", FreePorts.unused());
        // After 6 failures the usual backoff would wait 3.2 to 6.4 s; refusals early in an outage wait at most 2 s.
        RestPipeClient client = startRefusedClient("restarting", nobody, 6, Duration.ofSeconds(15));

        fixture.startServer(fixture.serverBuilder().pipeListen(nobody));

        await().atMost(Duration.ofMillis(2_900)).until(client::isConnected);
    }

    /** Starts a client against an address where nothing listens and waits until it was refused {@code times}. */
    private RestPipeClient startRefusedClient(String name, InetSocketAddress nobody, int times, Duration within) {
        RecordingListener events = new RecordingListener();
        RestPipeClient client = fixture.startClient(fixture.clientBuilder(name, nobody).listener(events));
        await().atMost(within).until(() -> events.failures.get() >= times);
        return client;
    }

    @Test
    void shutdownLetsACallInFlightFinish() throws Exception {
        CountDownLatch handlerStarted = new CountDownLatch(1);
        Handlers handlers = BuiltinHandlers.register(new Handlers(), "server").on("GET", "finishing", call -> {
            handlerStarted.countDown();
            Thread.sleep(500); // the work the shutdown must wait for
            return "finished";
        });
        RestPipeServer server = fixture.startServer(fixture.serverBuilder().handlers(handlers));
        RestPipeClient client = fixture.startClient("drainer", server.pipeAddress());
        CompletableFuture<PipeReply> inFlight = client.call(PipeEvent.of("GET", "finishing"));
        assertThat(handlerStarted.await(10, TimeUnit.SECONDS)).isTrue();

        server.close();

        assertThat(inFlight.get(10, TimeUnit.SECONDS).bodyText()).isEqualTo("finished");
    }
}
