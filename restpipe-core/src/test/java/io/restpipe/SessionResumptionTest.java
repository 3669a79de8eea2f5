package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restpipe.internal.tls.CertificateAuthority.Role;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A restarted server (same key, same CA) lets its clients resume their TLS sessions, so a reconnect storm costs no
 * certificate exchange; anything else about the peers falls back to, or is held to, a full handshake.
 */
@Timeout(60)
class SessionResumptionTest {
    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    @Test
    void aRestartedServerResumesTheClientsSessionAndKnowsWhoItIs() throws Exception {
        Identity serverIdentity = fixture.pki.server();
        RestPipeServer first = startServer(serverIdentity, 0);
        RestPipeClient client = fixture.startClient("survivor", first.pipeAddress());
        assertThat(client.call(PipeEvent.of("GET", "time")).get(10, TimeUnit.SECONDS).code()).isZero();
        assertThat(resumedConnects(first)).isZero();

        RestPipeServer second = restart(first, serverIdentity);

        await().atMost(Duration.ofSeconds(15)).until(() -> second.connectedClients().contains("survivor"));
        assertThat(resumedConnects(second)).isEqualTo(1);
        assertThat(second.call("survivor", PipeEvent.of("GET", "time")).get(10, TimeUnit.SECONDS).code()).isZero();
    }

    @Test
    void aServerWithANewKeyCannotReadOldTicketsAndDoesAFullHandshake() throws Exception {
        RestPipeServer first = startServer(fixture.pki.server(), 0);
        RestPipeClient client = fixture.startClient("survivor", first.pipeAddress());
        assertThat(client.call(PipeEvent.of("GET", "time")).get(10, TimeUnit.SECONDS).code()).isZero();

        RestPipeServer second = restart(first, fixture.pki.server());

        await().atMost(Duration.ofSeconds(15)).until(() -> second.connectedClients().contains("survivor"));
        assertThat(resumedConnects(second)).isZero();
    }

    @Test
    void aClientWhoseCertificateExpiredSinceItsTicketIsRefused() throws Exception {
        Identity serverIdentity = fixture.pki.server();
        RestPipeServer first = startServer(serverIdentity, 0);
        Identity shortLived = fixture.pki.ca().issue("brief", Role.CLIENT, List.of(), List.of(),
                Duration.ofSeconds(3));
        RecordingListener events = new RecordingListener();
        RestPipeClient client = fixture.startClient(fixture.clientBuilder("brief", first.pipeAddress())
                .tls(shortLived, fixture.pki.caCertificates()).listener(events));
        assertThat(client.call(PipeEvent.of("GET", "time")).get(10, TimeUnit.SECONDS).code()).isZero();
        // The certificate's end is a moment on the wall clock, not an event to wait on.
        await().atMost(Duration.ofSeconds(10)).until(
                () -> System.currentTimeMillis() > shortLived.certificate().getNotAfter().getTime());

        RestPipeServer second = restart(first, serverIdentity);

        // Every attempt fails, whether it offers the ticket (refused after the TLS handshake) or not.
        await().atMost(Duration.ofSeconds(15)).until(() -> events.failures.get() >= 3);
        assertThat(second.connectedClients()).isEmpty();
        assertThat(resumedConnects(second)).isZero();
    }

    private RestPipeServer startServer(Identity identity, int port) {
        return fixture.startServer(fixture.serverBuilder().tls(identity, fixture.pki.caCertificates())
                .pipeListen(new InetSocketAddress("127.0.0.1", port)));
    }

    private RestPipeServer restart(RestPipeServer first, Identity identity) {
        int port = first.pipeAddress().getPort();
        first.close();
        return startServer(identity, port);
    }

    private static int resumedConnects(RestPipeServer server) throws Exception {
        String metrics = HttpCalls.get(server.httpAddress(), "/metrics").body();
        return metrics.lines().filter(line -> line.startsWith("restpipe_connects_resumed_total "))
                .map(line -> (int) Double.parseDouble(line.substring(line.indexOf(' ') + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no resumed-connects metric in " + metrics));
    }
}
