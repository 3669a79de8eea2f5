package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restpipe.PipeFixture.Pair;
import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import io.restpipe.handler.Reply;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Java handlers reading a request body as a stream and answering with a stream, through real gateways. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamingHandlersTest {
    private static final long LARGE = 40L * 1024 * 1024;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    private final AtomicReference<Boolean> sawStreamedBody = new AtomicReference<>();
    private final CountDownLatch handlerSawCancel = new CountDownLatch(1);

    private Handlers serverHandlers() {
        return BuiltinHandlers.register(new Handlers(), "server")
                .on("POST", "digest", call -> {
                    sawStreamedBody.set(call.body().isStreamed());
                    try (InputStream in = call.body().stream()) {
                        return TestUpstream.sha256(in);
                    }
                })
                .on("GET", "generate", call -> Reply.ok().stream(TestUpstream.content(Long.parseLong(call.argument(0))),
                        Long.parseLong(call.argument(0))))
                .on("GET", "generate-unsized", call -> TestUpstream.content(Long.parseLong(call.argument(0))))
                .on("GET", "deadline", call -> {
                    Duration remaining = call.remaining();
                    try {
                        new CountDownLatch(1).await(20, TimeUnit.SECONDS); // nothing releases it: the caller gives up first
                    } catch (InterruptedException e) {
                        if (call.isCancelled()) {
                            handlerSawCancel.countDown();
                        }
                    }
                    return remaining;
                });
    }

    private Pair startPair() {
        return fixture.startPair(server -> server.handlers(serverHandlers()), "streamer", client -> client);
    }

    @Test
    void handlerReadsALargeUploadAsAStream() throws Exception {
        Pair pair = startPair();
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        HttpCalls.uri(pair.client().httpAddress(), "/server/digest"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> TestUpstream.content(LARGE))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(TestUpstream.sha256(TestUpstream.content(LARGE)));
        assertThat(sawStreamedBody.get()).isTrue();
    }

    @Test
    void smallBodiesStayInline() throws Exception {
        Pair pair = startPair();
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        HttpCalls.uri(pair.client().httpAddress(), "/server/digest"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(TestUpstream.content(1000).readAllBytes())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.body()).isEqualTo(TestUpstream.sha256(TestUpstream.content(1000)));
        assertThat(sawStreamedBody.get()).isFalse();
    }

    @Test
    void handlerAnswersWithALargeStreamSizedOrNot() throws Exception {
        Pair pair = startPair();
        for (String noun : new String[] {"generate", "generate-unsized"}) {
            HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(
                    HttpCalls.uri(pair.client().httpAddress(), "/server/" + noun + "//" + LARGE)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).isEqualTo(200);
            if (noun.equals("generate")) {
                assertThat(response.headers().firstValueAsLong("Content-Length")).hasValue(LARGE);
            } else {
                assertThat(response.headers().firstValue("Transfer-Encoding")).hasValue("chunked");
            }
            try (InputStream body = response.body()) {
                assertThat(TestUpstream.sha256(body)).isEqualTo(TestUpstream.sha256(TestUpstream.content(LARGE)));
            }
        }
    }

    @Test
    void embeddedCallerGetsAStreamedReplyBody() throws Exception {
        Pair pair = startPair();
        PipeReply reply = pair.client().call(PipeEvent.of("GET", "generate", String.valueOf(5_000_000)))
                .get(30, TimeUnit.SECONDS);
        assertThat(reply.stream()).isNotNull();
        assertThat(reply.stream().contentLength()).isEqualTo(5_000_000);
        try (InputStream body = reply.stream().inputStream()) {
            assertThat(TestUpstream.sha256(body)).isEqualTo(TestUpstream.sha256(TestUpstream.content(5_000_000)));
        }
    }

    @Test
    void handlerSeesItsDeadlineAndIsCancelledWhenItPasses() throws Exception {
        Pair pair = startPair();
        HttpResponse<String> response = HttpCalls.send(pair.client().httpAddress(), "/server/deadline", "GET",
                HttpRequest.BodyPublishers.noBody(), null, "X-Event-Timeout", "400ms");
        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(handlerSawCancel.await(10, TimeUnit.SECONDS)).isTrue();
    }
}
