package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameType;
import io.restpipe.internal.wire.proto.Event;
import io.restpipe.internal.wire.proto.EventReply;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Peers with valid certificates that abuse the pipe: floods that never read, more calls than a pipe may carry,
 * bodies past the memory budget, a second pipe with a live client's name. Each is slowed, refused or cut off, and
 * a well-behaved client on the same server keeps calling.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HostilePeersTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    /** Heartbeats count as replies too (see ReplyBacklogTest); calls with large replies fill the buffers sooner. */
    @Test
    void aPeerThatFloodsCallsAndNeverReadsTheRepliesIsCutOffWhileAnotherClientKeepsCalling() throws Exception {
        fixture.settings(fixture.settings().withHeartbeat(Duration.ofMillis(500), Duration.ofSeconds(5))
                .withMaxQueuedBytes(64 * 1024));
        RecordingListener events = new RecordingListener();
        RestPipeServer server = fixture.startServer(fixture.serverBuilder().listener(events));
        RestPipeClient good = fixture.startClient("good", server.pipeAddress());
        await().atMost(WAIT).until(() -> server.connectedClients().contains("good"));

        // A small receive buffer, so the kernel's buffers hold less of what the flooder never reads.
        try (ScriptedPeer flooder = ScriptedPeer.connect(server.pipeAddress().getPort(),
                fixture.pki.client("flooder"), fixture.pki.caCertificates(), 4096)) {
            flooder.awaitHandshake();
            flooder.stopReading();
            Frame echo = Frame.of(1, Event.newBuilder().setVersion(2).setVerb("GET").setNoun("cat")
                    .addArguments("x".repeat(16 * 1024)).build());
            CompletableFuture<Integer> flood = CompletableFuture.supplyAsync(() -> {
                try {
                    return flooder.flood(echo, 1_000_000, Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            int calls = 0;
            while (!flood.isDone() && flooder.isOpen() && calls < 5_000) {
                assertThat(HttpCalls.get(good.httpAddress(), "/server/time").statusCode()).isEqualTo(200);
                calls++;
            }
            assertThat(flooder.awaitClosed(Duration.ofSeconds(30))).as("flooder cut off").isTrue();
        }
        // Cut off for taking none of its replies; on a loaded machine the check for silence (the server no longer
        // reads a peer past its backlog) may fire first, one interval later: either way only the flooder paid.
        await().atMost(WAIT).until(() -> events.removedReasons.stream().anyMatch(reason ->
                reason.contains("took none of its replies") || reason.contains("peer silent for")));
        assertThat(server.connectedClients()).containsExactly("good");
        assertThat(HttpCalls.get(good.httpAddress(), "/server/time").statusCode()).isEqualTo(200);
    }

    @Test
    void eventsPastThePipesCallLimitAreRefusedWith503AndTheRestRun() throws Exception {
        fixture.settings(fixture.settings().withMaxPipeCalls(4));
        CountDownLatch release = new CountDownLatch(1);
        Handlers handlers = BuiltinHandlers.register(new Handlers(), "server").on("GET", "hold", call -> {
            release.await(30, TimeUnit.SECONDS);
            return "held";
        });
        RestPipeServer server = fixture.startServer(fixture.serverBuilder().handlers(handlers));
        RestPipeClient good = fixture.startClient("good", server.pipeAddress());
        try (ScriptedPeer eager = ScriptedPeer.connect(server.pipeAddress().getPort(), fixture.pki.client("eager"),
                fixture.pki.caCertificates())) {
            eager.awaitHandshake();
            for (int i = 0; i < 10; i++) {
                eager.send(Frame.of(2 * i + 1, Event.newBuilder().setVersion(2).setVerb("GET").setNoun("hold")
                        .build()));
            }
            List<EventReply> refused = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                refused.add(eager.take(FrameType.EVENT_REPLY, WAIT).as(EventReply.class));
            }
            assertThat(refused).allSatisfy(reply -> {
                assertThat(reply.getCode()).isEqualTo(PipeReply.CODE_REFUSED);
                assertThat(reply.getStatus()).isEqualTo(503);
                assertThat(reply.getData().toStringUtf8()).contains("--max-pipe-calls");
            });
            assertThat(HttpCalls.get(good.httpAddress(), "/server/time").statusCode()).as("another pipe")
                    .isEqualTo(200);
            // Slowed down: the server reads nothing more from it while its calls are past the limit.
            eager.send(Frame.of(99, io.restpipe.internal.wire.proto.Heartbeat.getDefaultInstance()));
            assertThat(eager.poll(FrameType.HEARTBEAT_REPLY, Duration.ofMillis(300))).as("read while over").isNull();
            release.countDown();
            for (int i = 0; i < 4; i++) {
                EventReply ran = eager.take(FrameType.EVENT_REPLY, WAIT).as(EventReply.class);
                assertThat(ran.getCode()).isEqualTo(PipeReply.CODE_OK);
                assertThat(ran.getData().toStringUtf8()).isEqualTo("held");
            }
        }
    }

    @Test
    void aPeerReusingTheIdOfACallStillInFlightLosesItsPipe() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Handlers handlers = BuiltinHandlers.register(new Handlers(), "server").on("GET", "hold", call -> {
            release.await(30, TimeUnit.SECONDS);
            return "held";
        });
        RestPipeServer server = fixture.startServer(fixture.serverBuilder().handlers(handlers));
        try (ScriptedPeer reuser = ScriptedPeer.connect(server.pipeAddress().getPort(), fixture.pki.client("reuser"),
                fixture.pki.caCertificates())) {
            reuser.awaitHandshake();
            Frame held = Frame.of(7, Event.newBuilder().setVersion(2).setVerb("GET").setNoun("hold").build());
            reuser.send(held);
            reuser.send(held);
            assertThat(reuser.awaitClosed(WAIT)).as("closed for a protocol error").isTrue();
        } finally {
            release.countDown();
        }
    }

    @Test
    void streamsPastTheBodyMemoryBudgetGet503AndTheOneUnderWayFinishes() throws Exception {
        try (TestUpstream upstream = new TestUpstream()) {
            RestPipeServer server = fixture.startServer(fixture.serverBuilder().bodyMemory(4 << 20));
            fixture.startClient(fixture.clientBuilder("fs", server.pipeAddress()).forward(upstream.uri()));
            await().atMost(WAIT).until(() -> server.connectedClients().contains("fs"));
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<InputStream> slow = http.send(HttpRequest.newBuilder(
                    HttpCalls.uri(server.httpAddress(), "/client/fs/trickle")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = slow.body()) {
                assertThat(body.readNBytes(1024)).hasSize(1024);
                HttpResponse<String> refused = HttpCalls.get(server.httpAddress(), "/client/fs/bytes/300000");
                assertThat(refused.statusCode()).isEqualTo(503);
                assertThat(refused.body()).contains("--body-memory");
                upstream.releaseTrickle();
                assertThat(body.readAllBytes()).hasSize(1024);
            }
            await().atMost(WAIT).until(() -> HttpCalls.get(server.httpAddress(), "/client/fs/bytes/300000")
                    .statusCode() == 200);
        }
    }

    @Test
    void aSecondPipeNamedLikeALiveClientIsRefusedAndTheLiveOneKeepsItsCalls() throws Exception {
        RestPipeServer server = fixture.startServer();
        fixture.startClient(fixture.clientBuilder("twin", server.pipeAddress()).handlers(answering("original")));
        await().atMost(WAIT).until(() -> server.connectedClients().contains("twin"));

        RecordingListener impostorEvents = new RecordingListener();
        fixture.startClient(fixture.clientBuilder("twin", server.pipeAddress()).handlers(answering("impostor"))
                .listener(impostorEvents));
        await().atMost(WAIT).until(() -> impostorEvents.disconnectReasons.stream()
                .anyMatch(reason -> reason.contains("refused") && reason.contains("already connected")));
        for (int i = 0; i < 20; i++) {
            assertThat(HttpCalls.get(server.httpAddress(), "/client/twin/who").body()).isEqualTo("original");
        }
    }

    @Test
    void aSilentPipeIsReplacedByANewPipeOfTheSameName() throws Exception {
        RestPipeServer server = fixture.startServer();
        try (ScriptedPeer ghost = ScriptedPeer.connect(server.pipeAddress().getPort(), fixture.pki.client("ghost"),
                fixture.pki.caCertificates())) {
            ghost.awaitHandshake();
            await().atMost(WAIT).until(() -> server.connectedClients().contains("ghost"));
            // The scripted peer answers no heartbeat: as a client whose connection died without a word.
            fixture.startClient(fixture.clientBuilder("ghost", server.pipeAddress()).handlers(answering("back")));
            await().atMost(WAIT).until(() -> HttpCalls.get(server.httpAddress(), "/client/ghost/who").body()
                    .equals("back"));
            assertThat(ghost.awaitClosed(WAIT)).as("the silent pipe was closed").isTrue();
        }
    }

    @Test
    void aV1PeerAskingForAStreamedReplyTooLargeToGatherGets502InsteadOfFillingTheHeap() throws Exception {
        Handlers handlers = BuiltinHandlers.register(new Handlers(), "server")
                .on("GET", "huge", call -> TestUpstream.content(64L << 20));
        RestPipeServer server = fixture.startServer(fixture.serverBuilder().handlers(handlers));
        try (ScriptedPeer v1 = ScriptedPeer.connect(server.pipeAddress().getPort(), fixture.pki.client("legacy"),
                fixture.pki.caCertificates())) {
            v1.awaitHandshake();
            v1.send(Frame.of(0x7fff0001, Event.newBuilder().setVersion(1).setVerb("get").setNoun("huge").build()));
            EventReply reply = v1.take(FrameType.EVENT_REPLY, Duration.ofSeconds(30)).as(EventReply.class);
            assertThat(reply.getStatus()).isEqualTo(502);
            assertThat(reply.getCode()).isEqualTo(PipeReply.CODE_UPSTREAM_FAILED);
            assertThat(reply.getData().toStringUtf8()).contains("protocol v1");
        }
    }

    private static Handlers answering(String who) {
        return BuiltinHandlers.register(new Handlers(), "client").on("GET", "who", call -> who);
    }
}
