package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restpipe.PipeFixture.Pair;
import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import io.restpipe.handler.Reply;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The gateways' routes and error table, through real HTTP, a real pipe and real handlers. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GatewayTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    private final CountDownLatch slowHandlerInterrupted = new CountDownLatch(1);

    private Handlers serverHandlers() {
        return BuiltinHandlers.register(new Handlers(), "server")
                .on("*", "echo", call -> {
                    Map<String, Object> seen = new LinkedHashMap<>();
                    seen.put("verb", call.verb());
                    seen.put("noun", call.noun());
                    seen.put("arguments", call.arguments());
                    seen.put("query", call.query());
                    seen.put("queryParameters", call.queryParameters());
                    seen.put("header", call.header("X-Custom").orElse(null));
                    seen.put("contentType", call.body().contentType());
                    seen.put("body", call.body().text());
                    seen.put("peer", call.peer().name());
                    seen.put("requestId", call.requestId());
                    seen.put("idempotencyHeader", call.header("Idempotency-Key").orElse(null));
                    return Reply.status(201).header("X-Answer", "42").json(seen);
                })
                .on("GET", "files/report", call -> "nested noun")
                .on("GET", "boom", call -> {
                    throw new IllegalStateException("handler exploded");
                })
                .on("GET", "slow", call -> {
                    try {
                        new CountDownLatch(1).await(30, TimeUnit.SECONDS); // nothing releases it: only a cancel ends it
                    } catch (InterruptedException e) {
                        slowHandlerInterrupted.countDown();
                        throw e;
                    }
                    return "too late";
                });
    }

    private Pair startPair() {
        return fixture.startPair(server -> server.handlers(serverHandlers()), "fileserver", client -> client);
    }

    @Test
    void seedCallsAnswerWithTheOriginalJsonKeys() throws Exception {
        Pair pair = startPair();
        JsonNode time = JSON.readTree(HttpCalls.get(pair.client().httpAddress(), "/server/time").body());
        assertThat(time.get("time_from_server").isBigDecimal() || time.get("time_from_server").isDouble()).isTrue();
        assertThat(time.get("time_from_server").asDouble()).isGreaterThan(1.7e9);
        assertThat(HttpCalls.get(pair.client().httpAddress(), "/server/time").body()).matches(
                "\\{\"time_from_server\":\\d+\\.\\d+}");

        HttpResponse<String> cat = HttpCalls.get(pair.client().httpAddress(), "/server/cat//hello%20/world");
        assertThat(cat.statusCode()).isEqualTo(200);
        assertThat(cat.headers().firstValue("X-Event-Return-Code")).hasValue("0");
        assertThat(cat.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(cat.body()).isEqualTo("{\"result_from_server\":\"hello world\"}");

        for (String target : new String[] {"fileserver", "127.0.0.1", "localhost"}) {
            HttpResponse<String> fromClient = HttpCalls.get(pair.server().httpAddress(),
                    "/client/" + target + "/cat//hello%20/world");
            assertThat(fromClient.body()).as("target %s", target).isEqualTo("{\"result_from_client\":\"hello world\"}");
        }
        assertThat(HttpCalls.get(pair.server().httpAddress(), "/client/localhost/time").body())
                .matches("\\{\"time_from_client\":\\d+\\.\\d+}");
    }

    @Test
    void everyVerbTravelsWithQueryHeadersAndBody() throws Exception {
        Pair pair = startPair();
        for (String verb : new String[] {"POST", "PUT", "PATCH", "DELETE", "OPTIONS", "GET"}) {
            HttpResponse<String> response = HttpCalls.send(pair.client().httpAddress(),
                    "/server/echo//a%2Fb/c?x=1&y=two%20words", verb, BodyPublishers.ofString("payload " + verb),
                    "text/x-test", "X-Custom", "custom value");
            assertThat(response.statusCode()).as(verb).isEqualTo(201);
            assertThat(response.headers().firstValue("X-Answer")).hasValue("42");
            assertThat(response.headers().firstValue("X-Event-Return-Code")).hasValue("0");
            JsonNode seen = JSON.readTree(response.body());
            assertThat(seen.get("verb").asText()).isEqualTo(verb);
            assertThat(seen.get("noun").asText()).isEqualTo("echo");
            assertThat(seen.get("arguments").toString()).isEqualTo("[\"a/b\",\"c\"]");
            assertThat(seen.get("query").asText()).isEqualTo("x=1&y=two%20words");
            assertThat(seen.get("queryParameters").get("y").get(0).asText()).isEqualTo("two words");
            assertThat(seen.get("header").asText()).isEqualTo("custom value");
            assertThat(seen.get("contentType").asText()).isEqualTo("text/x-test");
            assertThat(seen.get("body").asText()).isEqualTo("payload " + verb);
            assertThat(seen.get("peer").asText()).isEqualTo("fileserver");
            assertThat(seen.get("requestId").asText()).as("one made for a call without a key").matches("[0-9a-f]{32}");
        }
        HttpResponse<String> keyed = HttpCalls.send(pair.client().httpAddress(), "/server/echo", "POST",
                BodyPublishers.ofString("x"), "text/plain", "Idempotency-Key", "order-4711");
        JsonNode keyedSeen = JSON.readTree(keyed.body());
        assertThat(keyedSeen.get("requestId").asText()).isEqualTo("order-4711");
        assertThat(keyedSeen.get("idempotencyHeader").isNull()).as("the key is the request id, not a header").isTrue();
        HttpResponse<String> head = HttpCalls.send(pair.client().httpAddress(), "/server/echo", "HEAD",
                BodyPublishers.noBody(), null);
        assertThat(head.statusCode()).isEqualTo(201);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void nounsMayContainSlashes() throws Exception {
        Pair pair = startPair();
        HttpResponse<String> response = HttpCalls.get(pair.client().httpAddress(), "/server/files/report");
        assertThat(response.body()).isEqualTo("nested noun");
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
    }

    @Test
    void missingHandlerGives404WithReturnCode255NamingVerbAndNoun() throws Exception {
        Pair pair = startPair();
        HttpResponse<String> response = HttpCalls.send(pair.client().httpAddress(), "/server/nothing", "DELETE",
                BodyPublishers.noBody(), null);
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("X-Event-Return-Code")).hasValue("255");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("verb").asText()).isEqualTo("DELETE");
        assertThat(body.get("noun").asText()).isEqualTo("nothing");
    }

    @Test
    void handlerExceptionGives500WithReturnCode251AndTheException() throws Exception {
        Pair pair = startPair();
        HttpResponse<String> response = HttpCalls.get(pair.client().httpAddress(), "/server/boom");
        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.headers().firstValue("X-Event-Return-Code")).hasValue("251");
        JsonNode exception = JSON.readTree(response.body()).get("exception");
        assertThat(exception.get("message").asText()).isEqualTo("handler exploded");
        assertThat(exception.get("class").asText()).isEqualTo("java.lang.IllegalStateException");
        assertThat(exception.has("traceback")).as("no stack trace for remote callers by default").isFalse();
        assertThat(response.body()).doesNotContain("at io.restpipe");
        // The pipe goes on.
        assertThat(HttpCalls.get(pair.client().httpAddress(), "/server/time").statusCode()).isEqualTo(200);
    }

    @Test
    void handlerExceptionCarriesItsStackTraceWhenErrorsAreExposed() throws Exception {
        RestPipeServer server = fixture.startServer(fixture.serverBuilder().handlers(serverHandlers())
                .exposeErrors(true));
        RestPipeClient client = fixture.startClient("fileserver", server.pipeAddress());
        HttpResponse<String> response = HttpCalls.get(client.httpAddress(), "/server/boom");
        assertThat(response.statusCode()).isEqualTo(500);
        JsonNode exception = JSON.readTree(response.body()).get("exception");
        assertThat(exception.get("traceback").asText()).contains("handler exploded").contains("at ");
    }

    @Test
    void callGives504AfterItsDeadlineAndTheRemoteHandlerIsStopped() throws Exception {
        Pair pair = startPair();
        HttpResponse<String> response = HttpCalls.send(pair.client().httpAddress(), "/server/slow", "GET",
                BodyPublishers.noBody(), null, "X-Event-Timeout", "300ms");
        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.headers().firstValue("X-Event-Return-Code")).isEmpty();
        assertThat(JSON.readTree(response.body()).get("error").asText()).contains("within 300 ms");
        assertThat(slowHandlerInterrupted.await(10, TimeUnit.SECONDS)).as("remote handler interrupted").isTrue();
        assertThat(HttpCalls.get(pair.client().httpAddress(), "/server/time").statusCode()).isEqualTo(200);
    }

    @Test
    void callToAClientThatIsGoneGives503AfterTheConnectWait() throws Exception {
        fixture.settings(fixture.settings().withConnectWait(Duration.ofMillis(300)));
        Pair pair = startPair();
        pair.client().close();
        await().atMost(Duration.ofSeconds(10)).until(() -> pair.server().connectedClients().isEmpty());
        HttpResponse<String> response = HttpCalls.get(pair.server().httpAddress(), "/client/fileserver/time");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(response.body()).get("error").asText()).contains("not connected");
    }

    @Test
    void clientGatewayGives503AndUnhealthyWhileTheServerIsDown() throws Exception {
        fixture.settings(fixture.settings().withConnectWait(Duration.ofMillis(200)));
        RestPipeClient client = fixture.startClient("lonely", new java.net.InetSocketAddress("127.0.0.1",
                FreePorts.unused()));
        HttpResponse<String> response = HttpCalls.get(client.httpAddress(), "/server/time");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("X-Event-Return-Code")).isEmpty();
        HttpResponse<String> health = HttpCalls.get(client.httpAddress(), "/healthz");
        assertThat(health.statusCode()).isEqualTo(503);
        assertThat(health.body()).contains("\"status\":\"down\"");
    }

    @Test
    void unknownTargetGives404AfterTheConnectWaitAndBadPercentEncodingGives400() throws Exception {
        fixture.settings(fixture.settings().withConnectWait(Duration.ofMillis(300)));
        Pair pair = startPair();
        HttpResponse<String> unknown = HttpCalls.get(pair.server().httpAddress(), "/client/no-such-host.invalid/time");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("does not resolve");

        String bad = HttpCalls.raw(pair.client().httpAddress(), "GET /server/cat//%G1 HTTP/1.1", "Host: x",
                "Connection: close");
        assertThat(bad).startsWith("HTTP/1.1 400").contains("bad percent-encoding '%G1'");
        HttpResponse<String> notUtf8 = HttpCalls.get(pair.client().httpAddress(), "/server/cat//%FF");
        assertThat(notUtf8.statusCode()).isEqualTo(400);
        String garbage = HttpCalls.raw(pair.client().httpAddress(), "NOT HTTP AT ALL");
        assertThat(garbage).startsWith("HTTP/1.1 400");
        HttpResponse<String> noNoun = HttpCalls.get(pair.client().httpAddress(), "/server/");
        assertThat(noNoun.statusCode()).isEqualTo(400);
        HttpResponse<String> badTimeout = HttpCalls.send(pair.client().httpAddress(), "/server/time", "GET",
                BodyPublishers.noBody(), null, "X-Event-Timeout", "soon");
        assertThat(badTimeout.statusCode()).isEqualTo(400);
        HttpResponse<String> noRoute = HttpCalls.get(pair.client().httpAddress(), "/elsewhere");
        assertThat(noRoute.statusCode()).isEqualTo(404);
        assertThat(noRoute.body()).contains("/server/<noun>");
    }

    @Test
    void aNameNoClientHasUsedYetIsWaitedForBeforeItIsDeclaredUnknown() throws Exception {
        RestPipeServer server = fixture.startServer(fixture.serverBuilder().handlers(serverHandlers()));
        // As after a server restart: the call comes first, the client a moment later.
        var early = HttpCalls.getAsync(server.httpAddress(), "/client/latecomer/time");
        fixture.startClient("latecomer", server.pipeAddress());
        HttpResponse<String> response = early.get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("time_from_client");
    }

    @Test
    void bodyOverTheLimitGives413() throws Exception {
        RestPipeServer server = fixture.startServer(fixture.serverBuilder().maxBodyBytes(1024));
        HttpResponse<String> response = HttpCalls.send(server.httpAddress(), "/client/x/echo", "POST",
                BodyPublishers.ofByteArray(new byte[2048]), "application/octet-stream");
        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.body()).contains("over the limit of 1024 bytes");
    }

    @Test
    void severalClientsAtOneAddressGive409ListingTheirNames() throws Exception {
        Pair pair = startPair();
        fixture.startClient("second", pair.server().pipeAddress());
        await().atMost(Duration.ofSeconds(10)).until(() -> pair.server().connectedClients().size() == 2);
        HttpResponse<String> response = HttpCalls.get(pair.server().httpAddress(), "/client/127.0.0.1/time");
        assertThat(response.statusCode()).isEqualTo(409);
        assertThat(response.body()).contains("fileserver").contains("second");
        // Names still reach each one.
        assertThat(HttpCalls.get(pair.server().httpAddress(), "/client/second/time").statusCode()).isEqualTo(200);
    }

    @Test
    void clientsHealthAndMetricsDescribeThePipes() throws Exception {
        Pair pair = startPair();
        HttpCalls.get(pair.client().httpAddress(), "/server/time");
        await().atMost(Duration.ofSeconds(10)).until(() -> JSON.readTree(HttpCalls.get(pair.server().httpAddress(),
                "/clients").body()).get(0).get("heartbeat_rtt_ms").isNumber());

        JsonNode clients = JSON.readTree(HttpCalls.get(pair.server().httpAddress(), "/clients").body());
        assertThat(clients).hasSize(1);
        JsonNode row = clients.get(0);
        assertThat(row.get("name").asText()).isEqualTo("fileserver");
        assertThat(row.get("remote_address").asText()).startsWith("127.0.0.1:");
        assertThat(row.get("connected_since").asText()).isNotBlank();
        assertThat(row.get("events_in_flight").asInt()).isZero();

        assertThat(HttpCalls.get(pair.server().httpAddress(), "/healthz").body()).contains("\"status\":\"up\"");
        assertThat(HttpCalls.get(pair.client().httpAddress(), "/healthz").statusCode()).isEqualTo(200);

        String serverMetrics = HttpCalls.get(pair.server().httpAddress(), "/metrics").body();
        assertThat(serverMetrics).contains("restpipe_pipes_connected 1.0")
                .contains("restpipe_events_received_total{code=\"0\",verb=\"GET\"} 1.0");
        String clientMetrics = HttpCalls.get(pair.client().httpAddress(), "/metrics").body();
        assertThat(clientMetrics).contains("restpipe_events_sent_total{code=\"0\",verb=\"GET\"} 1.0")
                .contains("restpipe_event_latency_seconds_count").contains("restpipe_heartbeat_rtt_seconds");
    }
}
