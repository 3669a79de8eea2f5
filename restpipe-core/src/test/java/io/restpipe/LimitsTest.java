package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The caps that keep load from exhausting a server: pipes per server, calls in flight per gateway. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LimitsTest {
    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    @Test
    void serverRefusesPipesPastItsMaximumAndTheRefusedClientKeepsRetrying() throws Exception {
        RestPipeServer server = fixture.startServer(fixture.serverBuilder()
                .settings(fixture.settings().withMaxPipes(1)));
        fixture.startClient("first", server.pipeAddress());
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectedClients().contains("first"));

        RecordingListener second = new RecordingListener();
        fixture.startClient(fixture.clientBuilder("second", server.pipeAddress()).listener(second));
        await().atMost(Duration.ofSeconds(10)).until(() -> second.failures.get() >= 2);
        assertThat(server.connectedClients()).isEqualTo(List.of("first"));
    }

    @Test
    void gatewayAnswers503PastItsCallLimitAndRecoversWhenCallsFinish() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Handlers handlers = BuiltinHandlers.register(new Handlers(), "server").on("GET", "hold", call -> {
            started.countDown();
            release.await(30, TimeUnit.SECONDS);
            return "held";
        });
        RestPipeServer server = fixture.startServer(fixture.serverBuilder().handlers(handlers));
        RestPipeClient client = fixture.startClient(fixture.clientBuilder("busy", server.pipeAddress()).maxCalls(1));

        CompletableFuture<HttpResponse<String>> holding = HttpCalls.getAsync(client.httpAddress(), "/server/hold");
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        HttpResponse<String> refused = HttpCalls.get(client.httpAddress(), "/server/time");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains("too many calls in flight");
        assertThat(HttpCalls.get(client.httpAddress(), "/healthz").statusCode()).as("not a call").isEqualTo(200);

        release.countDown();
        assertThat(holding.get(10, TimeUnit.SECONDS).body()).isEqualTo("held");
        assertThat(HttpCalls.get(client.httpAddress(), "/server/time").statusCode()).isEqualTo(200);
    }
}
