package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The pipe over a link that fails the way networks do, between a real server and a client dialing it through a
 * {@link FaultyRelay}: blackholed, slowed, cut, reset. Another client, dialing directly, calls on throughout and
 * must not notice.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LinkFaultsTest {
    /**
     * Short, so that faults are noticed within seconds, yet not so short that a pipe whose single event loop a busy
     * machine holds up for a moment (class loading on a cold JVM took over a second under load) looks dead: the
     * server drops a pipe silent for twice the interval.
     */
    private static final Duration HEARTBEAT = Duration.ofSeconds(1);
    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration CONNECT_WAIT = Duration.ofSeconds(1);
    private static final long SLOW_BYTES_PER_SECOND = 32 * 1024;
    /**
     * Twice {@link #SLOW_PHASE_HEARTBEAT_TIMEOUT}: the body's credit window (4 MiB) is queued ahead of any heartbeat reply
     * going the same way, which at 32 KiB/s is two minutes away, so the client must take the body arriving as the
     * sign of life it is, and keep the pipe.
     */
    private static final Duration SLOW_PHASE = Duration.ofSeconds(4);
    private static final Duration SLOW_PHASE_HEARTBEAT_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    private RestPipeServer server;
    private FaultyRelay relay;
    private RestPipeClient far;
    private RestPipeClient near;
    private final RecordingListener serverEvents = new RecordingListener();
    private final RecordingListener farEvents = new RecordingListener();

    /** A server, "far" dialing it through the relay and "near" dialing it directly, both connected. */
    private void startPipes(Duration heartbeatTimeout, UnaryOperator<RestPipeServer.Builder> serverExtras,
                            UnaryOperator<RestPipeClient.Builder> farExtras) {
        fixture.settings(fixture.settings().withHeartbeat(HEARTBEAT, heartbeatTimeout).withConnectWait(CONNECT_WAIT));
        server = fixture.startServer(serverExtras.apply(fixture.serverBuilder().listener(serverEvents)));
        relay = fixture.track(new FaultyRelay(server.pipeAddress()));
        far = fixture.startClient(farExtras.apply(fixture.clientBuilder("far", relay.address()).listener(farEvents)));
        near = fixture.startClient("near", server.pipeAddress());
        await().atMost(WAIT).until(() -> server.connectedClients().containsAll(List.of("far", "near")));
    }

    private void startPipes() {
        startPipes(HEARTBEAT_TIMEOUT, UnaryOperator.identity(), UnaryOperator.identity());
    }

    @Test
    void aBlackholedLinkIsDroppedByBothEndsCallsToItGet503AndItComesBackAfterwards() throws Exception {
        startPipes();
        assertThat(HttpCalls.get(server.httpAddress(), "/client/far/time").statusCode()).isEqualTo(200);

        try (SteadyCalls nearCalls = new SteadyCalls(server, near)) {
            relay.blackhole();

            // The server notices silence after twice the interval; the client a late reply after its timeout: each
            // by its own rule, which the reasons name.
            await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> !serverEvents.removedReasons.isEmpty());
            assertThat(serverEvents.removedReasons).singleElement().asString()
                    .contains("peer silent for " + HEARTBEAT.multipliedBy(2).toMillis() + " ms");
            await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> !farEvents.disconnectReasons.isEmpty());
            assertThat(farEvents.disconnectReasons).singleElement().asString()
                    .contains("no heartbeat reply within " + HEARTBEAT_TIMEOUT.toMillis() + " ms");

            HttpResponse<String> meanwhile = HttpCalls.get(server.httpAddress(), "/client/far/time");
            assertThat(meanwhile.statusCode()).isEqualTo(503);
            assertThat(meanwhile.body()).contains("(waited " + CONNECT_WAIT.toMillis() + " ms)");
            assertThat(far.isConnected()).isFalse();

            relay.pass();
            await().atMost(WAIT).until(() -> server.connectedClients().contains("far") && far.isConnected());
            assertThat(HttpCalls.get(server.httpAddress(), "/client/far/time").statusCode()).isEqualTo(200);
            assertThat(HttpCalls.get(far.httpAddress(), "/server/time").statusCode()).isEqualTo(200);
            nearCalls.assertAllAnsweredInTime();
        }
        assertThat(farEvents.connects.get()).isEqualTo(2);
        assertThat(serverEvents.removed).containsExactly("far/1");
    }

    /**
     * The download goes from the server's upstream to a caller of "far", so the server sends the body down the slow
     * link, for longer than the heartbeat timeout: see {@link #SLOW_PHASE}.
     */
    @Test
    void aSlowedLinkHoldsNoMoreThanOneCreditWindowInFlightKeepsOtherCallsFastAndTheDownloadCompletesIntact()
            throws Exception {
        long size = 8L << 20;
        try (TestUpstream upstream = new TestUpstream()) {
            startPipes(SLOW_PHASE_HEARTBEAT_TIMEOUT, builder -> builder.forward(upstream.uri()),
                    UnaryOperator.identity());
            try (SteadyCalls nearCalls = new SteadyCalls(server, near)) {
                relay.slow(SLOW_BYTES_PER_SECOND);
                HttpResponse<InputStream> download = HTTP.send(HttpRequest.newBuilder(
                                HttpCalls.uri(far.httpAddress(), "/server/bytes/" + size)).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                assertThat(download.statusCode()).isEqualTo(200);
                CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> sha256(download.body()));

                // The server fills the window at once; from then on it may send only what the slow link delivers.
                long window = 4L << 20;
                await().atMost(WAIT).until(() -> inFlight() > window / 2);
                AtomicLong mostInFlight = new AtomicLong();
                await("the download under way over the slow link").during(SLOW_PHASE).atMost(SLOW_PHASE.plus(WAIT))
                        .until(() -> {
                            mostInFlight.accumulateAndGet(inFlight(), Math::max);
                            return far.isConnected() && !received.isDone();
                        });
                assertThat(mostInFlight.get()).as("bytes sent to far and not yet received")
                        .isLessThanOrEqualTo(window + (256 << 10));
                assertThat(pipeBytes(far.httpAddress(), "in")).as("far's bytes in: the link was slow")
                        .isLessThan(1L << 20);

                relay.pass();
                assertThat(received.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                        .isEqualTo(TestUpstream.sha256(TestUpstream.content(size)));
                nearCalls.assertAllAnsweredInTime();
            }
        }
        assertThat(farEvents.disconnectReasons).as("far's pipe was never dropped").isEmpty();
    }

    /** Bytes the server sent into its pipes that "far" has not received yet, plus near's share (a few KiB). */
    private long inFlight() throws Exception {
        return pipeBytes(server.httpAddress(), "out") - pipeBytes(far.httpAddress(), "in");
    }

    private static String sha256(InputStream body) {
        try (body) {
            return TestUpstream.sha256(body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The pipe bytes a side counted in {@code direction} ("in" or "out"), from its gateway's /metrics. */
    private static long pipeBytes(InetSocketAddress gateway, String direction) throws Exception {
        String prefix = "restpipe_pipe_bytes_total{direction=\"" + direction + "\"";
        return HttpCalls.get(gateway, "/metrics").body().lines().filter(line -> line.startsWith(prefix))
                .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    @Test
    void aLinkCutMidCallFailsBothCallersPromptlyWith503AndTheClientRedialsOnItsOwn() throws Exception {
        callsInFlightWhenTheLinkFails(FaultyRelay::cut);
    }

    @Test
    void aLinkResetMidCallFailsBothCallersPromptlyWith503AndTheClientRedialsOnItsOwn() throws Exception {
        callsInFlightWhenTheLinkFails(FaultyRelay::reset);
    }

    /**
     * A call each way is in flight over the relay, its handler holding it, when {@code fault} strikes: both callers
     * hear of it within seconds, long before their 20 s deadline, and "far" is back without anyone's help.
     */
    private void callsInFlightWhenTheLinkFails(Consumer<FaultyRelay> fault) throws Exception {
        CountDownLatch holding = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        startPipes(HEARTBEAT_TIMEOUT, builder -> builder.handlers(holding("server", holding, release)),
                builder -> builder.handlers(holding("client", holding, release)));
        try (SteadyCalls nearCalls = new SteadyCalls(server, near)) {
            CompletableFuture<HttpResponse<String>> serverToFar = callWithDeadline(server.httpAddress(),
                    "/client/far/hold");
            CompletableFuture<HttpResponse<String>> farToServer = callWithDeadline(far.httpAddress(), "/server/hold");
            assertThat(holding.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("both handlers holding").isTrue();
            int dialed = relay.accepted();

            fault.accept(relay);
            HttpResponse<String> atServer = serverToFar.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            HttpResponse<String> atFar = farToServer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            // 503, not the 504 of their 20 s deadline: the broken pipe failed them.
            assertThat(atServer.statusCode()).as(atServer.body()).isEqualTo(503);
            assertThat(atFar.statusCode()).as(atFar.body()).isEqualTo(503);
            // Each side saw the connection end, rather than waiting for the heartbeats to notice.
            assertThat(List.of(atServer.body(), atFar.body())).allSatisfy(body -> assertThat(body)
                    .contains("closed while the call was in flight").doesNotContain("silent", "heartbeat"));

            await().atMost(WAIT).until(() -> farEvents.connects.get() == 2 && far.isConnected());
            assertThat(relay.accepted()).as("far dialed again").isGreaterThan(dialed);
            assertThat(HttpCalls.get(server.httpAddress(), "/client/far/time").statusCode()).isEqualTo(200);
            assertThat(HttpCalls.get(far.httpAddress(), "/server/time").statusCode()).isEqualTo(200);
            nearCalls.assertAllAnsweredInTime();
        } finally {
            release.countDown();
        }
        assertThat(farEvents.disconnectReasons).hasSize(1);
    }

    private static Handlers holding(String side, CountDownLatch holding, CountDownLatch release) {
        return BuiltinHandlers.register(new Handlers(), side).on("GET", "hold", call -> {
            holding.countDown();
            release.await(30, TimeUnit.SECONDS);
            return "released";
        });
    }

    private static CompletableFuture<HttpResponse<String>> callWithDeadline(InetSocketAddress gateway, String path) {
        return HTTP.sendAsync(HttpRequest.newBuilder(HttpCalls.uri(gateway, path)).header("X-Event-Timeout", "20s")
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Calls "near" from the server's gateway and the server from near's, one call every 25 ms on a thread of its
     * own, each with a deadline of {@link #QUICK} (a call held up behind the faulty link gets its 504), and keeps
     * every outcome that was not a 200. Thread-safe.
     */
    private static final class SteadyCalls implements AutoCloseable {
        private static final String QUICK = "1s";
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        private final AtomicInteger answered = new AtomicInteger();
        /** The first calls of a fresh JVM load classes: they get longer. */
        private volatile String deadline = "5s";
        private final List<String> failures = new CopyOnWriteArrayList<>();

        SteadyCalls(RestPipeServer server, RestPipeClient near) throws Exception {
            List<Runnable> calls = List.of(
                    () -> call(server.httpAddress(), "/client/near/time"),
                    () -> call(near.httpAddress(), "/server/time"));
            // Once each before timing them: the first calls of a fresh JVM load classes.
            calls.forEach(Runnable::run);
            assertThat(failures).isEmpty();
            deadline = QUICK;
            AtomicInteger turn = new AtomicInteger();
            timer.scheduleWithFixedDelay(() -> calls.get(turn.getAndIncrement() % 2).run(), 0, 25,
                    TimeUnit.MILLISECONDS);
        }

        private void call(InetSocketAddress gateway, String path) {
            try {
                HttpResponse<String> response = HttpCalls.send(gateway, path, "GET",
                        HttpRequest.BodyPublishers.noBody(), null, "X-Event-Timeout", deadline);
                if (response.statusCode() != 200) {
                    failures.add(path + ": " + response.statusCode() + " " + response.body());
                }
            } catch (Exception e) {
                failures.add(path + ": " + e);
            }
            answered.incrementAndGet();
        }

        /** Waits for a call started from now on, then asserts that every call so far was a 200 within its deadline. */
        void assertAllAnsweredInTime() {
            int now = answered.get();
            await().atMost(WAIT).until(() -> answered.get() > now + 1);
            assertThat(failures).as("calls not answered 200 within " + QUICK).isEmpty();
        }

        @Override
        public void close() throws InterruptedException {
            timer.shutdownNow();
            assertThat(timer.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }
}
