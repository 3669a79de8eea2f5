package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restpipe.handler.Handlers;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PipeCallsTest {
    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    @Test
    void clientCallsServerAndServerCallsClientOverMutualTls() throws Exception {
        RestPipeServer server = fixture.startServer();
        RestPipeClient client = fixture.startClient("fileserver", server.pipeAddress());

        PipeReply fromServer = client.call(PipeEvent.of("GET", "cat", "hello ", "world")).get(10, TimeUnit.SECONDS);
        assertThat(fromServer.code()).isZero();
        assertThat(fromServer.bodyText()).isEqualTo("{\"result_from_server\":\"hello world\"}");

        await().atMost(Duration.ofSeconds(5)).until(() -> server.connectedClients().contains("fileserver"));
        PipeReply fromClient = server.call("fileserver", PipeEvent.of("GET", "cat", "a", "b")).get(10, TimeUnit.SECONDS);
        assertThat(fromClient.bodyText()).isEqualTo("{\"result_from_client\":\"ab\"}");
    }

    @Test
    void nonBlockingHandlersRunOnThePipesEventLoopAndOthersOnWorkers() throws Exception {
        Handlers handlers = new Handlers()
                .onNonBlocking("GET", "where-fast", call -> Thread.currentThread().getName())
                .on("GET", "where-slow", call -> Thread.currentThread().getName());
        RestPipeServer server = fixture.startServer(fixture.serverBuilder().handlers(handlers));
        RestPipeClient client = fixture.startClient("asker", server.pipeAddress());
        assertThat(client.call(PipeEvent.of("GET", "where-fast")).get(10, TimeUnit.SECONDS).bodyText())
                .startsWith("restpipe-server");
        assertThat(client.call(PipeEvent.of("GET", "where-slow")).get(10, TimeUnit.SECONDS).bodyText())
                .startsWith("restpipe-handler");
    }
}
