package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import io.restpipe.internal.tls.CertificateAuthority.Role;
import io.restpipe.internal.tls.CertificateAuthority;
import io.restpipe.internal.tls.CertificateNames;
import io.restpipe.internal.tls.PemFiles;
import io.restpipe.internal.trust.EnrolmentTokens;
import io.restpipe.internal.trust.IssuedCertificates;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.proto.CertificateRequest;
import io.restpipe.internal.wire.proto.Event;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Enrolment with one-time tokens and renewal over the pipe (SPEC §11): a server that issues certificates
 * ({@code issuer(dir, ...)}), clients with real keys made on their side, files on disk.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EnrolmentTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    @TempDir
    Path dir;

    private CertificateAuthority ca;
    private final AtomicInteger serverHandlerRuns = new AtomicInteger();

    private RestPipeServer startIssuingServer(Duration clientValidity) throws Exception {
        ca = CertificateAuthority.create("Issuing CA " + System.nanoTime(), Duration.ofDays(30));
        ca.save(dir);
        CertificateAuthority.save(ca.issue("server", Role.SERVER, List.of("localhost"), List.of("127.0.0.1"),
                Duration.ofDays(1)), dir, "server");
        Handlers handlers = BuiltinHandlers.register(new Handlers(), "server").on("GET", "count", call -> {
            serverHandlerRuns.incrementAndGet();
            return "counted";
        });
        return fixture.startServer(fixture.serverBuilder()
                .tls(dir.resolve("server.crt.pem"), dir.resolve("server.key.pem"), caFile())
                .issuer(dir, clientValidity).handlers(handlers));
    }

    private Path caFile() {
        return dir.resolve(CertificateAuthority.CA_CERT_FILE);
    }

    private static InetSocketAddress dialed(RestPipeServer server) {
        return InetSocketAddress.createUnresolved("localhost", server.pipeAddress().getPort());
    }

    private static X509Certificate certificateIn(Path file) {
        return PemFiles.readCertificates(file).get(0);
    }

    @Test
    void aClientEnrolsWithAOneTimeTokenAndThenConnectsUnderTheTokensName() throws Exception {
        RestPipeServer server = startIssuingServer(Duration.ofDays(7));
        String token = new EnrolmentTokens(dir).create("edge-7", Duration.ofMinutes(10));
        Path home = Files.createDirectory(dir.resolve("edge"));
        Path cert = home.resolve("edge.crt.pem");
        Path key = home.resolve("edge.key.pem");

        RestPipeClient.enroll(dialed(server), caFile(), cert, key, token, WAIT);

        X509Certificate issued = certificateIn(cert);
        assertThat(new IssuedCertificates(dir).serials("edge-7")).as("on record, for pki revoke --name")
                .containsExactly(issued.getSerialNumber());
        assertThat(CertificateNames.commonName(issued)).as("the token's name, not the request's").isEqualTo("edge-7");
        assertThat(Duration.between(Instant.now(), issued.getNotAfter().toInstant()))
                .isBetween(Duration.ofDays(7).minusMinutes(1), Duration.ofDays(7));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        RestPipeClient client = fixture.startClient(fixture.clientBuilder("edge-7", server.pipeAddress())
                .tls(cert, key, caFile()));
        await().atMost(WAIT).until(() -> server.connectedClients().contains("edge-7"));
        assertThat(HttpCalls.get(client.httpAddress(), "/server/time").statusCode()).isEqualTo(200);

        // Good once.
        Path again = home.resolve("again.crt.pem");
        assertThatThrownBy(() -> RestPipeClient.enroll(dialed(server), caFile(), again,
                home.resolve("again.key.pem"), token, WAIT)).isInstanceOf(StartupException.class)
                .hasMessageContaining("the enrolment token is unknown or was used already");
        assertThat(again).doesNotExist();
    }

    @Test
    void anExpiredOrMadeUpTokenIsRefusedInWords() throws Exception {
        RestPipeServer server = startIssuingServer(Duration.ofDays(7));
        String expired = new EnrolmentTokens(dir).create("late", Duration.ofSeconds(-1));
        Path cert = dir.resolve("late.crt.pem");
        assertThatThrownBy(() -> RestPipeClient.enroll(dialed(server), caFile(), cert, dir.resolve("late.key.pem"),
                expired, WAIT)).hasMessageContaining("the enrolment token for late expired at");
        assertThatThrownBy(() -> RestPipeClient.enroll(dialed(server), caFile(), cert, dir.resolve("late.key.pem"),
                "rpe_made_up", WAIT)).hasMessageContaining("unknown or was used already");
        assertThat(cert).doesNotExist();
    }

    @Test
    void aConnectionWithoutACertificateCanOnlyEnrol() throws Exception {
        RestPipeServer server = startIssuingServer(Duration.ofDays(7));
        try (ScriptedPeer anonymous = ScriptedPeer.connect(server.pipeAddress().getPort(), null,
                List.of(ca.certificate()))) {
            anonymous.awaitHandshake();
            anonymous.send(Frame.of(1, Event.newBuilder().setVersion(2).setVerb("GET").setNoun("count").build()));
            assertThat(anonymous.awaitClosed(WAIT)).isTrue();
        }
        assertThat(serverHandlerRuns).hasValue(0);
        assertThat(server.connectedClients()).isEmpty();
    }

    /**
     * Strangers without a certificate (an issuing server lets them through TLS) that stay silent, send events, or
     * guess tokens: each is closed, none spends a token, and a connected client keeps calling without a failure.
     */
    @Test
    void strangersWithoutACertificateAreClosedAndCostAConnectedClientNothing() throws Exception {
        fixture.settings(fixture.settings().withHeartbeat(Duration.ofMillis(500), Duration.ofSeconds(5)));
        RestPipeServer server = startIssuingServer(Duration.ofDays(7));
        String unused = new EnrolmentTokens(dir).create("kept", Duration.ofMinutes(10));
        Identity goodIdentity = ca.issue("good", Role.CLIENT, List.of(), List.of(), Duration.ofDays(1));
        RestPipeClient good = fixture.startClient(fixture.clientBuilder("good", server.pipeAddress())
                .tls(goodIdentity, List.of(ca.certificate())));
        await().atMost(WAIT).until(() -> server.connectedClients().contains("good"));

        List<ScriptedPeer> strangers = new ArrayList<>();
        try {
            for (int i = 0; i < 90; i++) {
                ScriptedPeer stranger = ScriptedPeer.connect(server.pipeAddress().getPort(), null,
                        List.of(ca.certificate()));
                strangers.add(stranger);
                stranger.awaitHandshake();
                switch (i % 3) {
                    case 0 -> { } // silent
                    case 1 -> stranger.send(Frame.of(1, Event.newBuilder().setVersion(2).setVerb("GET")
                            .setNoun("count").build()));
                    default -> stranger.send(Frame.of(1, CertificateRequest.newBuilder()
                            .setToken("rpe_guess_" + i).build()));
                }
                assertThat(HttpCalls.get(good.httpAddress(), "/server/count").statusCode()).isEqualTo(200);
            }
            for (ScriptedPeer stranger : strangers) {
                assertThat(stranger.awaitClosed(WAIT)).as("every stranger closed, the silent ones too").isTrue();
            }
        } finally {
            strangers.forEach(ScriptedPeer::close);
        }
        assertThat(server.connectedClients()).containsExactly("good");
        assertThat(serverHandlerRuns).as("only the good client's calls ran").hasValue(90);
        assertThat(new EnrolmentTokens(dir).check(unused)).as("no guess spent a token").isEqualTo("kept");
    }

    /**
     * The client's certificate is due (two thirds of its life gone): it renews it over its pipe, writes the files,
     * and reads them back, all without dropping the pipe.
     */
    @Test
    void aClientRenewsItsCertificateOverThePipeWithoutDroppingIt() throws Exception {
        RestPipeServer server = startIssuingServer(Duration.ofDays(7));
        // Issued for 2 minutes (and dated 5 minutes back, as all are): due at once.
        CertificateAuthority.save(ca.issue("alice", Role.CLIENT, List.of(), List.of(), Duration.ofMinutes(2)), dir,
                "alice");
        Path cert = dir.resolve("alice.crt.pem");
        BigInteger first = certificateIn(cert).getSerialNumber();
        RecordingListener events = new RecordingListener();
        RestPipeClient alice = fixture.startClient(fixture.clientBuilder("alice", server.pipeAddress())
                .tls(cert, dir.resolve("alice.key.pem"), caFile()).listener(events));
        await().atMost(WAIT).until(() -> server.connectedClients().contains("alice"));

        await().atMost(WAIT).until(() -> !certificateIn(cert).getSerialNumber().equals(first));
        X509Certificate renewed = certificateIn(cert);
        assertThat(CertificateNames.commonName(renewed)).isEqualTo("alice");
        assertThat(new IssuedCertificates(dir).serials("alice")).contains(renewed.getSerialNumber());
        assertThat(renewed.getNotAfter().toInstant()).isAfter(Instant.now().plus(Duration.ofDays(6)));
        await().atMost(WAIT).until(() -> reloads(alice, "applied") >= 1);
        assertThat(reloads(alice, "refused")).as("never a new key read beside the old certificate").isZero();
        assertThat(HttpCalls.get(alice.httpAddress(), "/server/count").statusCode()).isEqualTo(200);
        assertThat(events.connects).as("the pipe stayed up").hasValue(1);
        assertThat(events.disconnectReasons).isEmpty();
    }

    private static double reloads(RestPipeClient client, String outcome) throws Exception {
        String series = "restpipe_file_reloads_total{file=\"tls\",outcome=\"" + outcome + "\"} ";
        return HttpCalls.get(client.httpAddress(), "/metrics").body().lines().filter(line -> line.startsWith(series))
                .mapToDouble(line -> Double.parseDouble(line.substring(series.length()))).findFirst().orElse(0);
    }
}
