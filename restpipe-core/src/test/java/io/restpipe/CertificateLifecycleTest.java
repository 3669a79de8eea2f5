package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restpipe.internal.tls.CertificateAuthority.Role;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.restpipe.internal.tls.CertificateAuthority;
import io.restpipe.internal.tls.PemFiles;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Certificates that are revoked, rotated and replaced while the sides run (SPEC §11), with real TLS and the files
 * changed on disk: the revocation list, the CA bundle, a side's own certificate and key.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class CertificateLifecycleTest {
    /** SPEC §11: a revoked peer's live pipe is closed, and new content used, within 5 s of the file changing. */
    private static final Duration WITHIN = Duration.ofSeconds(5);
    private static final Duration VALIDITY = Duration.ofDays(1);

    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    @TempDir
    Path dir;

    private final CertificateAuthority ca = CertificateAuthority.create("Lifecycle CA " + System.nanoTime(), VALIDITY);

    /** Writes {@code identity} as NAME.crt.pem and NAME.key.pem in {@code dir}, as a renewal replaces them. */
    private Identity issue(CertificateAuthority by, String name, Role role) throws Exception {
        Identity identity = by.issue(name, role, List.of("localhost"), List.of("127.0.0.1"), VALIDITY);
        PemFiles.replaceIdentity(dir.resolve(name + ".crt.pem"), dir.resolve(name + ".key.pem"), identity.key(),
                identity.chain());
        return identity;
    }

    private Path cas(String file, CertificateAuthority... authorities) throws Exception {
        Path path = dir.resolve(file);
        PemFiles.writeAtomically(path, java.util.Arrays.stream(authorities).map(CertificateAuthority::certificate)
                .toArray());
        return path;
    }

    private Path emptyCrl() throws Exception {
        Path crl = dir.resolve(CertificateAuthority.CRL_FILE);
        PemFiles.writeAtomically(crl, ca.crl(Map.of(), BigInteger.ONE));
        return crl;
    }

    private RestPipeServer.Builder server(Path caFile) {
        return fixture.serverBuilder().tls(dir.resolve("server.crt.pem"), dir.resolve("server.key.pem"), caFile);
    }

    private RestPipeClient.Builder client(String name, InetSocketAddress server, Path caFile, PipeListener listener) {
        return fixture.clientBuilder(name, server)
                .tls(dir.resolve(name + ".crt.pem"), dir.resolve(name + ".key.pem"), caFile).listener(listener);
    }

    private static double metric(InetSocketAddress gateway, String series) throws Exception {
        return HttpCalls.get(gateway, "/metrics").body().lines().filter(line -> line.startsWith(series + " "))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst().orElse(0);
    }

    @Test
    void aRevokedClientIsCutOffWithin5sAndRefusedAfterwardsWhileAnotherKeepsCalling() throws Exception {
        issue(ca, "server", Role.SERVER);
        Identity alice = issue(ca, "alice", Role.CLIENT);
        issue(ca, "bob", Role.CLIENT);
        Path caFile = cas("ca.pem", ca);
        RestPipeServer server = fixture.startServer(server(caFile).crl(emptyCrl()));
        RecordingListener aliceEvents = new RecordingListener();
        fixture.startClient(client("alice", server.pipeAddress(), caFile, aliceEvents));
        fixture.startClient(client("bob", server.pipeAddress(), caFile, new RecordingListener()));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectedClients().containsAll(List.of("alice", "bob")));

        try (CallLoop bobCalls = new CallLoop(server.httpAddress(), "/client/bob/time")) {
            bobCalls.awaitSome();
            ca.revoke(dir, alice.certificate().getSerialNumber());
            long revoked = System.nanoTime();
            await().atMost(WITHIN).until(() -> !server.connectedClients().contains("alice"));
            assertThat(Duration.ofNanos(System.nanoTime() - revoked)).isLessThan(WITHIN);
            assertThat(aliceEvents.disconnectReasons).anyMatch(reason -> reason.contains("revoked"));

            // It keeps trying, and is refused each time (its TLS session ticket lets it in no more than its
            // certificate does).
            int failuresSoFar = aliceEvents.failures.get();
            await().atMost(Duration.ofSeconds(15)).until(() -> aliceEvents.failures.get() >= failuresSoFar + 2);
            assertThat(server.connectedClients()).containsExactly("bob");
            bobCalls.awaitSome();
            assertThat(bobCalls.failed()).as("bob's calls while alice was revoked").isZero();
        }
    }

    /**
     * A revoked client whose session ticket is still good: after a server restart (same key and CA, so tickets
     * still decrypt) a client resumes its session without showing its certificate, and the revocation must
     * still keep it out; bob, not revoked, does resume.
     */
    @Test
    void aRevokedClientCannotResumeItsTlsSession() throws Exception {
        issue(ca, "server", Role.SERVER);
        Identity alice = issue(ca, "alice", Role.CLIENT);
        issue(ca, "bob", Role.CLIENT);
        Path caFile = cas("ca.pem", ca);
        Path crl = emptyCrl();
        RestPipeServer first = server(caFile).crl(crl).build().start();
        int port = first.pipeAddress().getPort();
        RecordingListener aliceEvents = new RecordingListener();
        fixture.startClient(client("alice", first.pipeAddress(), caFile, aliceEvents));
        fixture.startClient(client("bob", first.pipeAddress(), caFile, new RecordingListener()));
        await().atMost(Duration.ofSeconds(10)).until(() -> first.connectedClients().containsAll(List.of("alice", "bob")));
        first.close();

        ca.revoke(dir, alice.certificate().getSerialNumber());
        int failuresSoFar = aliceEvents.failures.get();
        RestPipeServer second = fixture.startServer(server(caFile).crl(crl)
                .pipeListen(new InetSocketAddress("127.0.0.1", port)));
        await().atMost(Duration.ofSeconds(15)).until(() -> second.connectedClients().contains("bob")
                && aliceEvents.failures.get() >= failuresSoFar + 2);
        assertThat(second.connectedClients()).containsExactly("bob");
        assertThat(metric(second.httpAddress(), "restpipe_connects_resumed_total"))
                .as("bob resumed its session: tickets from before the restart are good").isEqualTo(1);
    }

    /**
     * The rotation SPEC §11 walks through: trust both CAs, reissue every certificate from the new one, then drop the
     * old one; calls flow both ways throughout, and no pipe drops.
     */
    @Test
    void aCaRotationInStepsDropsNoPipeAndFailsNoCall() throws Exception {
        CertificateAuthority next = CertificateAuthority.create("Next CA " + System.nanoTime(), VALIDITY);
        issue(ca, "server", Role.SERVER);
        issue(ca, "alice", Role.CLIENT);
        Path serverCas = cas("server-ca.pem", ca);
        Path clientCas = cas("client-ca.pem", ca);
        RestPipeServer server = fixture.startServer(server(serverCas));
        RecordingListener aliceEvents = new RecordingListener();
        RestPipeClient alice = fixture.startClient(client("alice", server.pipeAddress(), clientCas, aliceEvents));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectedClients().contains("alice"));

        try (CallLoop toClient = new CallLoop(server.httpAddress(), "/client/alice/time");
             CallLoop toServer = new CallLoop(alice.httpAddress(), "/server/time")) {
            toClient.awaitSome();
            toServer.awaitSome();

            // 1. Both sides trust both CAs.
            double serverReloads = metric(server.httpAddress(), "restpipe_file_reloads_total{file=\"tls\",outcome=\"applied\"}");
            double clientReloads = metric(alice.httpAddress(), "restpipe_file_reloads_total{file=\"tls\",outcome=\"applied\"}");
            cas("server-ca.pem", ca, next);
            cas("client-ca.pem", ca, next);
            awaitReload(server.httpAddress(), serverReloads + 1);
            awaitReload(alice.httpAddress(), clientReloads + 1);

            // 2. Every certificate is reissued by the new CA.
            issue(next, "server", Role.SERVER);
            issue(next, "alice", Role.CLIENT);
            awaitReload(server.httpAddress(), serverReloads + 2);
            awaitReload(alice.httpAddress(), clientReloads + 2);
            // A new client of the new CA gets in, and is called.
            issue(next, "carol", Role.CLIENT);
            fixture.startClient(client("carol", server.pipeAddress(), clientCas, new RecordingListener()));
            await().atMost(Duration.ofSeconds(10)).until(() -> server.connectedClients().contains("carol"));

            // 3. The old CA is dropped.
            cas("server-ca.pem", next);
            cas("client-ca.pem", next);
            awaitReload(server.httpAddress(), serverReloads + 3);
            awaitReload(alice.httpAddress(), clientReloads + 3);
            // A certificate of the old CA no longer gets in.
            issue(ca, "mallory", Role.CLIENT);
            RecordingListener malloryEvents = new RecordingListener();
            fixture.startClient(client("mallory", server.pipeAddress(), clientCas, malloryEvents));
            await().atMost(Duration.ofSeconds(10)).until(() -> malloryEvents.failures.get() >= 1);
            assertThat(server.connectedClients()).doesNotContain("mallory");

            toClient.awaitSome();
            toServer.awaitSome();
            assertThat(toClient.failed() + toServer.failed()).as("calls that failed during the rotation").isZero();
        }
        assertThat(aliceEvents.connects).as("alice's pipe stayed up").hasValue(1);
        assertThat(aliceEvents.disconnectReasons).isEmpty();
    }

    @Test
    void aCertificateThatDoesNotMatchItsKeyIsRefusedAndTheOldOneStaysInForce() throws Exception {
        issue(ca, "server", Role.SERVER);
        issue(ca, "alice", Role.CLIENT);
        issue(ca, "bob", Role.CLIENT);
        Path caFile = cas("ca.pem", ca);
        RestPipeServer server = fixture.startServer(server(caFile));
        // A certificate whose key is not the one in server.key.pem.
        PemFiles.writeAtomically(dir.resolve("server.crt.pem"),
                ca.issue("server", Role.SERVER, List.of("localhost"), List.of(), VALIDITY).certificate());
        await().atMost(WITHIN).until(() ->
                metric(server.httpAddress(), "restpipe_file_reloads_total{file=\"tls\",outcome=\"refused\"}") == 1);

        fixture.startClient(client("alice", server.pipeAddress(), caFile, new RecordingListener()));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectedClients().contains("alice"));
        Path garbage = dir.resolve("server.key.pem");
        Files.writeString(garbage, "not a key");
        await().atMost(WITHIN).until(() ->
                metric(server.httpAddress(), "restpipe_file_reloads_total{file=\"tls\",outcome=\"refused\"}") == 2);
        fixture.startClient(client("bob", server.pipeAddress(), caFile, new RecordingListener()));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectedClients().contains("bob"));
    }

    @Test
    void aRefusedClientCertificateIsExplainedInWordsOnBothSides() throws Exception {
        ListAppender<ILoggingEvent> serverLog = captureHandshakeLog();
        CertificateAuthority other = CertificateAuthority.create("Other CA " + System.nanoTime(), VALIDITY);
        issue(ca, "server", Role.SERVER);
        Path caFile = cas("ca.pem", ca);
        RestPipeServer server = fixture.startServer(server(caFile));

        // Expired a minute ago.
        Identity late = ca.issue("late", Role.CLIENT, List.of(), List.of(), Duration.ofMinutes(-1));
        RecordingListener lateEvents = new RecordingListener();
        fixture.startClient(fixture.clientBuilder("late", server.pipeAddress()).tls(late, List.of(ca.certificate()))
                .listener(lateEvents));
        await().atMost(Duration.ofSeconds(10)).until(() -> !lateEvents.failureReasons.isEmpty());
        assertThat(lateEvents.failureReasons.get(0)).contains("the server refused this client's certificate CN=late")
                .contains("it expired at " + late.certificate().getNotAfter().toInstant());
        await().atMost(Duration.ofSeconds(10)).until(() -> logged(serverLog, "CN=late"));
        assertThat(logLine(serverLog, "CN=late")).contains("expired at").contains("pki issue");

        // Signed by a CA the server does not trust.
        Identity stranger = other.issue("stranger", Role.CLIENT, List.of(), List.of(), VALIDITY);
        RecordingListener strangerEvents = new RecordingListener();
        fixture.startClient(fixture.clientBuilder("stranger", server.pipeAddress())
                .tls(stranger, List.of(ca.certificate())).listener(strangerEvents));
        await().atMost(Duration.ofSeconds(10)).until(() -> !strangerEvents.failureReasons.isEmpty());
        // Its certificate is not even sent: the server asks for one of the CAs in its --ca.
        assertThat(strangerEvents.failureReasons.get(0)).contains("the server refused this client's certificate")
                .contains("issued by a CA in its --ca and this one was not");
        // (The server's line for it, "the client sent no certificate", is the same for every such client, so another
        // test's may have taken its turn in the rate-limited log: CertificateAlertsTest covers its wording.)
    }

    @Test
    void aServerCertificateForAnotherNameIsExplainedOnTheClient() throws Exception {
        Identity elsewhere = ca.issue("server", Role.SERVER, List.of("files.example"), List.of(), VALIDITY);
        RestPipeServer server = fixture.startServer(fixture.serverBuilder().tls(elsewhere, List.of(ca.certificate())));
        Identity alice = ca.issue("alice", Role.CLIENT, List.of(), List.of(), VALIDITY);
        RecordingListener aliceEvents = new RecordingListener();
        fixture.startClient(fixture.clientBuilder("alice", server.pipeAddress()).tls(alice, List.of(ca.certificate()))
                .listener(aliceEvents));
        await().atMost(Duration.ofSeconds(10)).until(() -> !aliceEvents.failureReasons.isEmpty());
        assertThat(aliceEvents.failureReasons.get(0)).contains("the certificate of the server CN=server")
                .contains("names files.example but this client dialed localhost");
    }

    private static ListAppender<ILoggingEvent> captureHandshakeLog() {
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.restpipe.internal.link.PipeHandshakeHandler"))
                .addAppender(lines);
        return lines;
    }

    private static boolean logged(ListAppender<ILoggingEvent> lines, String text) {
        return logLine(lines, text) != null;
    }

    private static String logLine(ListAppender<ILoggingEvent> lines, String text) {
        synchronized (lines) {
            return lines.list.stream().map(ILoggingEvent::getFormattedMessage).filter(line -> line.contains(text))
                    .findFirst().orElse(null);
        }
    }

    private static void awaitReload(InetSocketAddress gateway, double applied) {
        await().atMost(WITHIN).until(() ->
                metric(gateway, "restpipe_file_reloads_total{file=\"tls\",outcome=\"applied\"}") >= applied);
    }

    /** Calls {@code path} on {@code gateway} one after another on a thread of its own until closed. */
    private static final class CallLoop implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger answered = new AtomicInteger();
        private final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        private final Thread thread;

        CallLoop(InetSocketAddress gateway, String path) {
            thread = new Thread(() -> {
                // Bounded: a test never runs longer than its class timeout.
                for (int i = 0; i < 100_000 && running.get(); i++) {
                    try {
                        HttpResponse<String> response = HttpCalls.get(gateway, path);
                        if (response.statusCode() != 200) {
                            failures.add(response.statusCode() + " " + response.body());
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                    answered.incrementAndGet();
                }
            }, "call-loop " + path);
            thread.start();
        }

        /** Waits until a few more calls have been answered. */
        void awaitSome() {
            int now = answered.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> answered.get() >= now + 5);
        }

        int failed() {
            return failures.size();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
            assertThat(failures).as("failed calls").isEmpty();
        }
    }
}
