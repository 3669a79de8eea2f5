package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import io.restpipe.internal.trust.FileWatcher;
import io.restpipe.internal.trust.GatewayTokens;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gateway callers with bearer tokens and access policies (SPEC §11), through real TLS, real HTTP and real files
 * changed on disk while the pipe stays up.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TrustTest {
    /** SPEC §11: new content is in force within 5 s. */
    private static final Duration RELOADED = Duration.ofSeconds(5);
    private static final String WEBAPP_TOKEN = "webapp-token-0123456789";
    private static final String BEARER = "Bearer " + WEBAPP_TOKEN;

    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    @TempDir
    Path dir;

    private final AtomicInteger deletesRun = new AtomicInteger();

    private Path file(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content);
    }

    /** Rewrites {@code file} the way editors and config tools do: a new file renamed over the old. */
    private static void replace(Path file, String content) throws Exception {
        Path next = Files.writeString(file.resolveSibling(file.getFileName() + ".new"), content);
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String tokenLine(String name, String token) {
        return name + " " + GatewayTokens.sha256(token) + "\n";
    }

    private Handlers clientHandlers() {
        return BuiltinHandlers.register(new Handlers(), "client")
                .on("GET", "echo-authorization", call -> call.header("Authorization").orElse("(none)"))
                .on("DELETE", "thing", call -> {
                    deletesRun.incrementAndGet();
                    return "deleted";
                });
    }

    private static HttpResponse<String> get(InetSocketAddress gateway, String path, String... headers)
            throws Exception {
        return HttpCalls.send(gateway, path, "GET", HttpRequest.BodyPublishers.noBody(), null, headers);
    }

    private static double metric(InetSocketAddress gateway, String series, String... headers) throws Exception {
        String text = get(gateway, "/metrics", headers).body();
        return text.lines().filter(line -> line.startsWith(series + " ")).mapToDouble(line ->
                Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).findFirst().orElse(0);
    }

    @Test
    void gatewayCallersNeedAListedBearerTokenExceptOnHealthzAndTheTokenNeverTravelsOn() throws Exception {
        Path callers = file("callers", "# who may call\n" + tokenLine("webapp", WEBAPP_TOKEN));
        PipeFixture.Pair pair = fixture.startPair(server -> server.gatewayAuth(callers), "alice",
                client -> client.handlers(clientHandlers()));
        InetSocketAddress gateway = pair.server().httpAddress();

        HttpResponse<String> none = get(gateway, "/client/alice/time");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"restpipe\"");
        assertThat(none.body()).contains("Authorization: Bearer TOKEN").contains("--gateway-auth");
        HttpResponse<String> wrong = get(gateway, "/client/alice/time", "Authorization", "Bearer guess");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).contains("not one this gateway knows");
        assertThat(get(gateway, "/clients").statusCode()).isEqualTo(401);
        assertThat(get(gateway, "/metrics").statusCode()).isEqualTo(401);
        assertThat(HttpCalls.send(gateway, "/client/alice/time", "POST",
                HttpRequest.BodyPublishers.ofString("a body from a stranger"), "text/plain").statusCode())
                .isEqualTo(401);

        assertThat(get(gateway, "/healthz").statusCode()).isEqualTo(200);
        assertThat(get(gateway, "/client/alice/time", "Authorization", BEARER).statusCode()).isEqualTo(200);
        assertThat(get(gateway, "/clients", "Authorization", BEARER).body()).contains("\"alice\"");
        assertThat(get(gateway, "/client/alice/echo-authorization", "Authorization", BEARER).body())
                .isEqualTo("(none)");
    }

    @Test
    void callerRulesAreCheckedOnTheCallingGatewayAgainstTheClientTheTargetResolvesTo() throws Exception {
        Path callers = file("callers", tokenLine("webapp", WEBAPP_TOKEN) + tokenLine("intruder", "other-token"));
        Path acl = file("acl.toml", """
                default = "deny"
                [[rule]]
                name = "web app asks the file servers the time"
                effect = "allow"
                from = ["caller:webapp"]
                to = ["client:files-*"]
                verbs = ["GET"]
                nouns = ["time"]
                """);
        RestPipeServer server = fixture.startServer(fixture.serverBuilder().gatewayAuth(callers).acl(acl));
        fixture.startClient(fixture.clientBuilder("db-1", server.pipeAddress()));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectedClients().contains("db-1"));
        InetSocketAddress gateway = server.httpAddress();

        // db-1 is the only client at 127.0.0.1: addressing it by IP must not get around its rule.
        HttpResponse<String> byAddress = get(gateway, "/client/127.0.0.1/time", "Authorization", BEARER);
        assertThat(byAddress.statusCode()).isEqualTo(403);
        assertThat(byAddress.body()).contains("GET time from caller:webapp to client:db-1 is denied by the default");
        assertThat(byAddress.headers().firstValue("X-Event-Return-Code")).isEmpty();

        fixture.startClient(fixture.clientBuilder("files-1", server.pipeAddress()));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectedClients().contains("files-1"));
        assertThat(get(gateway, "/client/files-1/time", "Authorization", BEARER).statusCode()).isEqualTo(200);
        assertThat(get(gateway, "/client/db-1/time", "Authorization", BEARER).statusCode()).isEqualTo(403);
        assertThat(get(gateway, "/client/files-1/time", "Authorization", "Bearer other-token").statusCode())
                .isEqualTo(403);
        assertThat(metric(gateway, "restpipe_acl_denied_total{rule=\"default\"}", "Authorization", BEARER))
                .isEqualTo(3);
    }

    @Test
    void peerRulesAreCheckedOnTheExecutingSideAgainstTheSendersCertificate() throws Exception {
        Path serverAcl = file("server.toml", """
                [[rule]]
                name = "clients stay out of admin"
                effect = "deny"
                from = ["client:*"]
                nouns = ["admin/**"]
                """);
        Path clientAcl = file("client.toml", """
                [[rule]]
                name = "no deletes from the server"
                effect = "deny"
                from = ["server"]
                to = ["client:alice"]
                verbs = ["DELETE"]
                """);
        PipeFixture.Pair pair = fixture.startPair(server -> server.acl(serverAcl), "alice",
                client -> client.acl(clientAcl).handlers(clientHandlers()));

        HttpResponse<String> delete = HttpCalls.send(pair.server().httpAddress(), "/client/alice/thing", "DELETE",
                HttpRequest.BodyPublishers.noBody(), null);
        assertThat(delete.statusCode()).isEqualTo(403);
        assertThat(delete.headers().firstValue("X-Event-Return-Code")).hasValue("254");
        assertThat(delete.body()).contains("DELETE thing from server to client:alice is denied by rule "
                + "\\\"no deletes from the server\\\"");
        assertThat(deletesRun).hasValue(0);

        HttpResponse<String> admin = get(pair.client().httpAddress(), "/server/admin/stats");
        assertThat(admin.statusCode()).isEqualTo(403);
        assertThat(admin.headers().firstValue("X-Event-Return-Code")).hasValue("254");
        assertThat(admin.body()).contains("from client:alice to server is denied by rule "
                + "\\\"clients stay out of admin\\\"");
        assertThat(get(pair.client().httpAddress(), "/server/time").statusCode()).isEqualTo(200);
        assertThat(metric(pair.server().httpAddress(),
                "restpipe_acl_denied_total{rule=\"clients stay out of admin\"}")).isEqualTo(1);
    }

    @Test
    void shadowModeCountsWhatItWouldDenyAndDeniesNothing() throws Exception {
        Path acl = file("acl.toml", "mode = \"shadow\"\ndefault = \"deny\"\n");
        PipeFixture.Pair pair = fixture.startPair(server -> server.acl(acl), "alice", client -> client);

        assertThat(get(pair.server().httpAddress(), "/client/alice/time").statusCode()).isEqualTo(200);
        assertThat(get(pair.client().httpAddress(), "/server/time").statusCode()).isEqualTo(200);
        InetSocketAddress gateway = pair.server().httpAddress();
        assertThat(metric(gateway, "restpipe_acl_shadow_denied_total{rule=\"default\"}")).isEqualTo(2);
        assertThat(metric(gateway, "restpipe_acl_denied_total{rule=\"default\"}")).isZero();
    }

    @Test
    void anAclOrTokenChangeOnDiskTakesEffectWithoutARestartAndABadOneIsRefusedKeepingTheOld() throws Exception {
        Path acl = file("acl.toml", "default = \"allow\"\n");
        Path callers = file("callers", tokenLine("webapp", WEBAPP_TOKEN));
        RecordingListener clientEvents = new RecordingListener();
        PipeFixture.Pair pair = fixture.startPair(server -> server.acl(acl).gatewayAuth(callers), "alice",
                client -> client.listener(clientEvents));
        InetSocketAddress gateway = pair.server().httpAddress();
        assertThat(get(gateway, "/client/alice/time", "Authorization", BEARER).statusCode()).isEqualTo(200);

        replace(acl, """
                [[rule]]
                name = "no time for anyone"
                effect = "deny"
                nouns = ["time"]
                """);
        await().atMost(RELOADED).until(() ->
                get(gateway, "/client/alice/time", "Authorization", BEARER).statusCode() == 403);

        replace(acl, "default = \"allow\"\n[[rule]]\nname = \"broken\"\neffect = \"allow\"\nverbs = \"GET\n");
        await().atMost(RELOADED).until(() ->
                metric(gateway, "restpipe_file_reloads_total{file=\"acl\",outcome=\"refused\"}",
                        "Authorization", BEARER) == 1);
        assertThat(get(gateway, "/client/alice/time", "Authorization", BEARER).statusCode())
                .as("the old policy stays in force").isEqualTo(403);

        replace(callers, tokenLine("ops", "ops-token"));
        await().atMost(RELOADED).until(() ->
                get(gateway, "/client/alice/cat//x", "Authorization", "Bearer ops-token").statusCode() == 200);
        assertThat(get(gateway, "/client/alice/cat//x", "Authorization", BEARER).statusCode()).isEqualTo(401);

        assertThat(clientEvents.connects).as("the pipe stayed up throughout").hasValue(1);
        assertThat(clientEvents.disconnectReasons).isEmpty();
        assertThat(FileWatcher.INTERVAL).isLessThan(RELOADED);
    }
}
