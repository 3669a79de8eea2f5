package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.restpipe.PipeFixture.Pair;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code --forward}: a local HTTP service exposed through the pipe, bodies streaming both ways. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ForwardTest {
    private static final long LARGE = 48L * 1024 * 1024;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    private final TestUpstream upstream = new TestUpstream();

    ForwardTest() throws Exception {
    }

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    /** Both sides forward to {@code target}; the client is named "edge". */
    private Pair startPair(URI target) {
        return fixture.startPair(server -> server.forward(target), "edge", client -> client.forward(target));
    }

    /** SPEC §10: the upstream gets the call's request id as its Idempotency-Key: the caller's, or one made for it. */
    @Test
    void theUpstreamGetsTheCallsRequestIdAsItsIdempotencyKey() throws Exception {
        Pair pair = startPair(upstream.uri());
        HttpResponse<String> keyed = HttpCalls.send(pair.server().httpAddress(), "/client/edge/idempotency-key", "GET",
                HttpRequest.BodyPublishers.noBody(), null, "Idempotency-Key", "order-4711");
        assertThat(keyed.body()).isEqualTo("order-4711");
        HttpResponse<String> made = HttpCalls.get(pair.client().httpAddress(), "/server/idempotency-key");
        assertThat(made.body()).matches("[0-9a-f]{32}");
        HttpResponse<String> bad = HttpCalls.send(pair.server().httpAddress(), "/client/edge/idempotency-key", "GET",
                HttpRequest.BodyPublishers.noBody(), null, "Idempotency-Key", "x".repeat(256));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("Idempotency-Key must be 1 to 255 visible ASCII characters");
    }

    @Test
    void largeDownloadStreamsFromTheClientsUpstreamIntact() throws Exception {
        Pair pair = startPair(upstream.uri());
        HttpResponse<InputStream> response = downloadLarge(pair);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValueAsLong("Content-Length")).hasValue(LARGE);
        assertThat(response.headers().firstValue("X-Event-Return-Code")).hasValue("0");
        try (InputStream body = response.body()) {
            assertThat(TestUpstream.sha256(body)).isEqualTo(TestUpstream.sha256(TestUpstream.content(LARGE)));
        }
    }

    @Test
    void largeUploadStreamsToTheServersUpstreamIntact() throws Exception {
        Pair pair = startPair(upstream.uri());
        HttpResponse<String> sized = HTTP.send(HttpRequest.newBuilder(
                        HttpCalls.uri(pair.client().httpAddress(), "/server/digest"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> TestUpstream.content(LARGE)))
                .header("Content-Type", "application/octet-stream").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(sized.statusCode()).isEqualTo(201);
        assertThat(sized.headers().firstValue("X-Upstream")).hasValue("digest");
        assertThat(sized.body()).isEqualTo(TestUpstream.sha256(TestUpstream.content(LARGE)));

        // Chunked (no Content-Length) too, with PUT.
        HttpResponse<String> chunked = HTTP.send(HttpRequest.newBuilder(
                        HttpCalls.uri(pair.client().httpAddress(), "/server/digest"))
                .PUT(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> TestUpstream.content(LARGE / 4))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.body()).isEqualTo(TestUpstream.sha256(TestUpstream.content(LARGE / 4)));
    }

    @Test
    void replyStartsReachingTheCallerBeforeTheUpstreamHasFinished() throws Exception {
        Pair pair = startPair(upstream.uri());
        HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(
                HttpCalls.uri(pair.server().httpAddress(), "/client/edge/trickle")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            byte[] first = body.readNBytes(1024);
            assertThat(first).hasSize(1024);
            assertThat(upstream.trickleReleased.getCount()).as("upstream still holding the rest").isEqualTo(1);
            upstream.releaseTrickle();
            assertThat(body.readAllBytes()).hasSize(1024);
        }
    }

    @Test
    void slowReaderOfOneCallDoesNotSlowASmallCallOnTheSamePipe() throws Exception {
        Pair pair = startPair(upstream.uri());
        HttpResponse<InputStream> stalled = downloadLarge(pair);
        try (InputStream body = stalled.body()) {
            byte[] first = body.readNBytes(1024); // ... and then reads nothing more for now
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> small = HttpCalls.send(pair.server().httpAddress(), "/client/edge/time", "GET",
                        HttpRequest.BodyPublishers.noBody(), null, "X-Event-Timeout", "5s");
                assertThat(small.statusCode()).isEqualTo(200);
            }
            assertThat(TestUpstream.sha256(new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(first),
                    body))).isEqualTo(TestUpstream.sha256(TestUpstream.content(LARGE)));
        }
    }

    @Test
    void callerHangingUpClosesTheUpstreamConnectionAndThePipeGoesOn() throws Exception {
        Pair pair = startPair(upstream.uri());
        try (Socket caller = new Socket("127.0.0.1", pair.server().httpAddress().getPort())) {
            caller.getOutputStream().write("GET /client/edge/endless HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            caller.getInputStream().readNBytes(4096);
        }
        assertThat(upstream.sawDisconnect.await(20, TimeUnit.SECONDS)).as("upstream saw the disconnect").isTrue();
        assertThat(HttpCalls.get(pair.server().httpAddress(), "/client/edge/time").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> inFlight(pair.server()) == 0);
    }

    @Test
    void unreachableUpstreamGives502() throws Exception {
        Pair pair = startPair(URI.create("http://127.0.0.1:" + FreePorts.unused()));
        HttpResponse<String> response = HttpCalls.get(pair.client().httpAddress(), "/server/anything");
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.headers().firstValue("X-Event-Return-Code")).hasValue("252");
        assertThat(response.body()).contains("cannot reach upstream");
        assertThat(HttpCalls.get(pair.client().httpAddress(), "/server/time").statusCode()).isEqualTo(200);
    }

    @Test
    void stalledUpstreamGives504AndItsConnectionIsClosed() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
            CountDownLatch upstreamClosed = new CountDownLatch(1);
            Thread acceptor = new Thread(() -> {
                try (Socket connection = silent.accept()) {
                    InputStream in = connection.getInputStream();
                    while (in.read() >= 0) {
                        // read the request and wait: this upstream never answers
                    }
                    upstreamClosed.countDown();
                } catch (java.io.IOException e) {
                    upstreamClosed.countDown();
                }
            });
            acceptor.start();
            Pair pair = startPair(URI.create("http://127.0.0.1:" + silent.getLocalPort()));
            HttpResponse<String> response = HttpCalls.send(pair.client().httpAddress(), "/server/slow", "GET",
                    HttpRequest.BodyPublishers.noBody(), null, "X-Event-Timeout", "500ms");
            assertThat(response.statusCode()).isEqualTo(504);
            assertThat(upstreamClosed.await(10, TimeUnit.SECONDS)).as("upstream connection closed").isTrue();
            assertThat(HttpCalls.get(pair.client().httpAddress(), "/server/time").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void manyConcurrentForwardsShareThePool() throws Exception {
        Pair pair = startPair(upstream.uri());
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            calls.add(HttpCalls.getAsync(pair.client().httpAddress(), "/server/bytes/" + (1000 + i)));
        }
        for (int i = 0; i < 100; i++) {
            HttpResponse<String> response = calls.get(i).get(30, TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body().getBytes(StandardCharsets.ISO_8859_1).length).isGreaterThan(0);
        }
    }

    private static int inFlight(RestPipeServer server) throws Exception {
        String clients = HttpCalls.get(server.httpAddress(), "/clients").body();
        return new ObjectMapper().readTree(clients).get(0).get("events_in_flight").asInt();
    }

    /** Asks the client's upstream, through the server gateway, for {@link #LARGE} bytes, as a stream. */
    private static HttpResponse<InputStream> downloadLarge(Pair pair) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(
                HttpCalls.uri(pair.server().httpAddress(), "/client/edge/bytes/" + LARGE)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
    }
}
