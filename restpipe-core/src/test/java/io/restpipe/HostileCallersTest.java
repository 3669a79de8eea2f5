package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Local callers who break the rules of HTTP or hold on to what they get: every malformed request is answered with
 * a status (never silence), every bound of the gateway and of the forward holds, and only the offender pays.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostileCallersTest {
    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    private RestPipeServer server(GatewayLimits limits) {
        RestPipeServer server = fixture.startServer(fixture.serverBuilder().gatewayLimits(limits));
        fixture.startClient("fileserver", server.pipeAddress());
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectedClients().contains("fileserver"));
        return server;
    }

    @Test
    void malformedRequestsAreAnsweredWithAStatusAndTheConnectionIsClosed() throws Exception {
        RestPipeServer server = server(GatewayLimits.defaults());
        InetSocketAddress gateway = server.httpAddress();
        Map<String, String> answers = new LinkedHashMap<>();
        answers.put("header over 16 KiB", HttpCalls.raw(gateway, "GET /client/fileserver/time HTTP/1.1", "Host: x",
                "X-Big: " + "a".repeat(20 * 1024)));
        answers.put("1 MiB header", HttpCalls.raw(gateway, "GET /client/fileserver/time HTTP/1.1", "Host: x",
                "X-Big: " + "a".repeat(1 << 20)));
        answers.put("request line over 8 KiB", HttpCalls.raw(gateway, "GET /client/fileserver/" + "a".repeat(9000)
                + " HTTP/1.1", "Host: x"));
        answers.put("Content-Length with Transfer-Encoding", HttpCalls.raw(gateway,
                "POST /client/fileserver/time HTTP/1.1", "Host: x", "Content-Length: 5",
                "Transfer-Encoding: chunked", "", "0", ""));
        answers.put("two Content-Lengths", HttpCalls.raw(gateway, "POST /client/fileserver/time HTTP/1.1", "Host: x",
                "Content-Length: 5", "Content-Length: 6", "", "hello"));
        try (Socket socket = new Socket("127.0.0.1", gateway.getPort())) {
            // Not half-closed: the call starts before the body turns out broken, and the gateway must still answer.
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /client/fileserver/time HTTP/1.1\r\nHost: x\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            answers.put("bad chunk size", readUntilClosed(socket.getInputStream()));
        }

        assertThat(answers.get("header over 16 KiB")).startsWith("HTTP/1.1 431").contains("--max-header-bytes");
        assertThat(answers.get("1 MiB header")).startsWith("HTTP/1.1 431");
        assertThat(answers.get("request line over 8 KiB")).startsWith("HTTP/1.1 414");
        assertThat(answers.get("Content-Length with Transfer-Encoding")).startsWith("HTTP/1.1 400")
                .containsIgnoringCase("connection: close").contains("Transfer-Encoding");
        assertThat(answers.get("two Content-Lengths")).startsWith("HTTP/1.1 400");
        assertThat(answers.get("bad chunk size")).startsWith("HTTP/1.1 400");
        // Nobody else paid.
        assertThat(HttpCalls.get(gateway, "/client/fileserver/time").statusCode()).isEqualTo(200);
    }

    @Test
    void inventedVerbsDoNotGrowTheMetricsWithoutBound() throws Exception {
        RestPipeServer server = server(GatewayLimits.defaults());
        for (int i = 0; i < 50; i++) {
            HttpCalls.send(server.httpAddress(), "/client/fileserver/time", "VERB" + i, BodyPublishers.noBody(), null);
        }
        String metrics = HttpCalls.get(server.httpAddress(), "/metrics").body();
        assertThat(metrics).contains("verb=\"OTHER\"").doesNotContain("VERB1");
    }

    @Test
    void aCallerThatPipelinesRequestsAndNeverReadsGetsNoMoreCallsRunThanItsSocketHolds() throws Exception {
        java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        byte[] reply = new byte[64 * 1024];
        RestPipeServer server = fixture.startServer();
        fixture.startClient(fixture.clientBuilder("fileserver", server.pipeAddress())
                .handlers(io.restpipe.handler.BuiltinHandlers.register(new io.restpipe.handler.Handlers(), "client")
                        .onNonBlocking("GET", "big", call -> {
                            ran.incrementAndGet();
                            return reply;
                        })));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectedClients().contains("fileserver"));
        int requests = 1_000;
        try (Socket greedy = new Socket()) {
            greedy.setReceiveBufferSize(16 * 1024);
            greedy.connect(server.httpAddress());
            greedy.getOutputStream().write("GET /client/fileserver/big HTTP/1.1\r\nHost: x\r\n\r\n".repeat(requests)
                    .getBytes(StandardCharsets.US_ASCII));
            // It stalls: the gateway takes no further request from a caller that has not read the last responses.
            java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger(-1);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(20))
                    .until(() -> seen.getAndSet(ran.get()) == ran.get());
            assertThat(ran.get()).isBetween(1, requests / 2);
            assertThat(HttpCalls.get(server.httpAddress(), "/client/fileserver/time").statusCode())
                    .as("another caller").isEqualTo(200);
            // Once it reads, it gets every answer.
            long expected = (long) requests * reply.length;
            long received = 0;
            byte[] buffer = new byte[256 * 1024];
            InputStream in = greedy.getInputStream();
            greedy.setSoTimeout(10_000);
            while (ran.get() < requests || received < expected) {
                int n = in.read(buffer);
                if (n < 0) {
                    break;
                }
                received += n;
            }
            assertThat(ran.get()).isEqualTo(requests);
            assertThat(received).isGreaterThan(expected);
        }
    }

    @Test
    void headersThatTrickleInGet408AfterTheHeaderTimeout() throws Exception {
        RestPipeServer server = server(GatewayLimits.defaults().withTimeouts(Duration.ofMillis(300),
                Duration.ofSeconds(60)));
        try (Socket slowloris = new Socket("127.0.0.1", server.httpAddress().getPort())) {
            slowloris.setSoTimeout(10_000);
            slowloris.getOutputStream().write("GET /client/fileserver/time HTTP/1.1\r\nHost: x\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(slowloris.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("within 300 ms");
        }
        assertThat(HttpCalls.get(server.httpAddress(), "/client/fileserver/time").statusCode()).isEqualTo(200);
    }

    @Test
    void aBodyThatStopsComingGets408AndFreesItsCallSlot() throws Exception {
        RestPipeServer server = server(GatewayLimits.defaults().withMaxCalls(1).withTimeouts(Duration.ofMillis(300),
                Duration.ofSeconds(60)));
        try (Socket slowBody = new Socket("127.0.0.1", server.httpAddress().getPort())) {
            slowBody.setSoTimeout(10_000);
            slowBody.getOutputStream().write(("POST /client/fileserver/cat HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Length: 1000\r\n\r\nonly the start").getBytes(StandardCharsets.US_ASCII));
            String answer = new String(slowBody.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("body stopped coming");
        }
        assertThat(HttpCalls.get(server.httpAddress(), "/client/fileserver/time").statusCode())
                .as("the only call slot is free again").isEqualTo(200);
    }

    @Test
    void idleKeepAliveConnectionsAreClosedAfterTheIdleTimeoutButNotDuringACall() throws Exception {
        RestPipeServer server = server(GatewayLimits.defaults().withTimeouts(Duration.ofSeconds(10),
                Duration.ofMillis(300)));
        try (Socket idle = new Socket("127.0.0.1", server.httpAddress().getPort())) {
            idle.setSoTimeout(10_000);
            idle.getOutputStream().write("GET /client/fileserver/time HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = readUntilClosed(idle.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 200").contains("time_from_client");
        }
    }

    @Test
    void connectionsPastTheLimitGet503AndTheOnesInsideAreServed() throws Exception {
        RestPipeServer server = server(GatewayLimits.defaults().withMaxConnections(2));
        List<Socket> inside = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                Socket socket = new Socket("127.0.0.1", server.httpAddress().getPort());
                socket.setSoTimeout(10_000);
                inside.add(socket);
                assertThat(exchange(socket)).startsWith("HTTP/1.1 200");
            }
            String refused = HttpCalls.raw(server.httpAddress(), "GET /healthz HTTP/1.1", "Host: x");
            assertThat(refused).startsWith("HTTP/1.1 503").contains("--max-connections");
            assertThat(exchange(inside.get(0))).as("a connection inside the limit").startsWith("HTTP/1.1 200");
            inside.remove(0).close();
            await().atMost(Duration.ofSeconds(10)).until(() -> HttpCalls.raw(server.httpAddress(),
                    "GET /healthz HTTP/1.1", "Host: x").startsWith("HTTP/1.1 200"));
        } finally {
            for (Socket socket : inside) {
                socket.close();
            }
        }
    }

    @Test
    void aSmallBodyPastTheBodyMemoryBudgetGets503AndSmallerOnesGoThrough() throws Exception {
        RestPipeServer server = fixture.startServer(fixture.serverBuilder().bodyMemory(16 * 1024));
        RestPipeClient client = fixture.startClient(fixture.clientBuilder("fileserver", server.pipeAddress())
                .handlers(io.restpipe.handler.BuiltinHandlers.register(new io.restpipe.handler.Handlers(), "client")
                        .on("POST", "size", call -> call.body().bytes().length)));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectedClients().contains("fileserver"));
        HttpResponse<String> tooMuch = HttpCalls.send(server.httpAddress(), "/client/fileserver/size", "POST",
                BodyPublishers.ofByteArray(new byte[32 * 1024]), "application/octet-stream");
        assertThat(tooMuch.statusCode()).isEqualTo(503);
        assertThat(tooMuch.body()).contains("--body-memory");
        HttpResponse<String> fits = HttpCalls.send(server.httpAddress(), "/client/fileserver/size", "POST",
                BodyPublishers.ofByteArray(new byte[8 * 1024]), "application/octet-stream");
        assertThat(fits.body()).isEqualTo("8192");
        assertThat(client).isNotNull();
    }

    /**
     * What reaches a raw upstream through {@code --forward} for each nasty noun: an encoded {@code /}, {@code ?} or
     * {@code #} stays encoded inside its segment, dot segments and control characters are refused with 400.
     */
    @Test
    void forwardBuildsTheUpstreamPathFromTheNounAsTheCallerEncodedIt() throws Exception {
        try (RawUpstream upstream = new RawUpstream()) {
            RestPipeServer server = fixture.startServer();
            fixture.startClient(fixture.clientBuilder("fs", server.pipeAddress()).forward(upstream.uri()));
            await().atMost(Duration.ofSeconds(10)).until(() -> server.connectedClients().contains("fs"));
            Map<String, String> expected = new LinkedHashMap<>();
            expected.put("/files/report.pdf?x=1&y=%20", "GET /files/report.pdf?x=1&y=%20 HTTP/1.1");
            expected.put("/a%3Fb=c", "GET /a%3Fb=c HTTP/1.1");
            expected.put("/a%23b", "GET /a%23b HTTP/1.1");
            expected.put("/dir%2Ffile", "GET /dir%2Ffile HTTP/1.1");
            expected.put("/caf%C3%A9/x%20y", "GET /caf%C3%A9/x%20y HTTP/1.1");
            expected.put("/..%2F..%2Fsecret", "400");
            expected.put("/..%5C..%5Csecret", "400");
            expected.put("/%2e%2e/secret", "400");
            expected.put("/a/./b", "400");
            expected.put("/..;/secret", "400");
            expected.put("/a;b=c/d", "GET /a;b=c/d HTTP/1.1");
            expected.put("/a%00b", "400");
            expected.put("/a%0D%0AX-Injected:%201", "400");
            for (Map.Entry<String, String> nasty : expected.entrySet()) {
                upstream.requestLines.clear();
                HttpResponse<String> response = HttpCalls.get(server.httpAddress(), "/client/fs" + nasty.getKey());
                if (nasty.getValue().equals("400")) {
                    assertThat(response.statusCode()).as(nasty.getKey()).isEqualTo(400);
                    assertThat(upstream.requestLines).as(nasty.getKey() + " must not reach the upstream").isEmpty();
                } else {
                    assertThat(response.statusCode()).as(nasty.getKey()).isEqualTo(200);
                    assertThat(upstream.requestLines).as(nasty.getKey()).containsExactly(nasty.getValue());
                }
            }
        }
    }

    @Test
    void forwardKeepsAtMostItsPoolOfConnectionsAndClosesIdleOnes() throws Exception {
        try (RawUpstream upstream = new RawUpstream()) {
            RestPipeServer server = fixture.startServer();
            fixture.startClient(fixture.clientBuilder("fs", server.pipeAddress()).forward(upstream.uri())
                    .forwardPool(2, Duration.ofMillis(500)));
            await().atMost(Duration.ofSeconds(10)).until(() -> server.connectedClients().contains("fs"));
            List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                held.add(HttpCalls.getAsync(server.httpAddress(), "/client/fs/hold/" + i));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> upstream.requestLines.size() == 2);
            assertThat(upstream.connections.get()).as("connections while 6 calls wait").isEqualTo(2);
            upstream.release();
            for (CompletableFuture<HttpResponse<String>> call : held) {
                assertThat(call.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
            assertThat(upstream.connections.get()).as("connections after all 6 were served").isEqualTo(2);
            await().atMost(Duration.ofSeconds(10)).until(() -> upstream.closedConnections.get() == 2);
        }
    }

    private static String exchange(Socket socket) throws Exception {
        socket.getOutputStream().write("GET /client/fileserver/time HTTP/1.1\r\nHost: x\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        byte[] buffer = new byte[4096];
        int read = socket.getInputStream().read(buffer);
        return new String(buffer, 0, Math.max(read, 0), StandardCharsets.UTF_8);
    }

    private static String readUntilClosed(InputStream in) throws Exception {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
