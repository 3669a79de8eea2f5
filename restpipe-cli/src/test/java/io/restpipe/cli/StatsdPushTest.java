package io.restpipe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.restpipe.PipeEvent;
import io.restpipe.PipeFixture;
import io.restpipe.RestPipeClient;
import io.restpipe.RestPipeServer;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code --statsd}: the metrics also go out as StatsD lines over UDP. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StatsdPushTest {
    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    @Test
    void eventCountersArePushedToTheStatsdAgent() throws Exception {
        try (DatagramSocket agent = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             SideMeters meters = new SideMeters(new InetSocketAddress("127.0.0.1", agent.getLocalPort()))) {
            agent.setSoTimeout(200);
            RestPipeServer server = fixture.startServer(meters.applyTo(fixture.serverBuilder()));
            RestPipeClient client = fixture.startClient("counted", server.pipeAddress());
            StringBuilder received = new StringBuilder();
            byte[] buffer = new byte[65536];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!received.toString().contains("restpipeEventsReceived") && System.nanoTime() < deadline) {
                // One call per round: the StatsD client connects in the background and drops what comes before.
                assertThat(client.call(PipeEvent.of("GET", "time")).get(10, TimeUnit.SECONDS).code()).isZero();
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                try {
                    agent.receive(packet);
                    received.append(new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8));
                } catch (SocketTimeoutException nothingYet) {
                    // keep listening until the deadline
                }
            }
            assertThat(received.toString()).contains("restpipeEventsReceived").contains(":1|c");
        }
    }
}
