package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Many calls at once in both directions, and a slow handler that must not hold anyone else up. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PipeLoadTest {
    private static final int CALLS = 1_000;

    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    @Test
    void thousandConcurrentCallsEachWayAllGetTheirOwnReply() throws Exception {
        RestPipeServer server = fixture.startServer();
        RestPipeClient client = fixture.startClient("busy", server.pipeAddress());
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectedClients().contains("busy"));

        List<CompletableFuture<PipeReply>> up = new ArrayList<>();
        List<CompletableFuture<PipeReply>> down = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
            up.add(client.call(PipeEvent.of("GET", "cat", "up-", String.valueOf(i))));
            down.add(server.call("busy", PipeEvent.of("GET", "cat", "down-", String.valueOf(i))));
        }
        for (int i = 0; i < CALLS; i++) {
            assertThat(up.get(i).get(30, TimeUnit.SECONDS).bodyText())
                    .isEqualTo("{\"result_from_server\":\"up-" + i + "\"}");
            assertThat(down.get(i).get(30, TimeUnit.SECONDS).bodyText())
                    .isEqualTo("{\"result_from_client\":\"down-" + i + "\"}");
        }
    }

    @Test
    void slowHandlerDelaysNoOtherCallOnThePipe() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Handlers handlers = BuiltinHandlers.register(new Handlers(), "server")
                .on("GET", "stuck", call -> {
                    release.await(30, TimeUnit.SECONDS);
                    return "released";
                });
        RestPipeServer server = fixture.startServer(fixture.serverBuilder().handlers(handlers));
        RestPipeClient client = fixture.startClient("patient", server.pipeAddress());

        List<CompletableFuture<PipeReply>> stuck = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            stuck.add(client.call(PipeEvent.of("GET", "stuck")));
        }
        for (int i = 0; i < 50; i++) {
            assertThat(client.call(PipeEvent.of("GET", "time")).get(5, TimeUnit.SECONDS).code()).isZero();
        }
        assertThat(stuck).noneMatch(CompletableFuture::isDone);
        release.countDown();
        for (CompletableFuture<PipeReply> call : stuck) {
            assertThat(call.get(10, TimeUnit.SECONDS).bodyText()).isEqualTo("released");
        }
    }
}
