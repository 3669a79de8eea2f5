package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The test relay itself, in front of a plain TCP echo service, so that a fault test can trust its faults. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FaultyRelayTest {
    private final Echo echo = new Echo();
    private final FaultyRelay relay = new FaultyRelay(echo.address());

    FaultyRelayTest() throws IOException {
    }

    @AfterEach
    void stop() throws IOException {
        relay.close();
        echo.close();
    }

    @Test
    void passRelaysBothWaysAndCountsConnections() throws Exception {
        try (Socket socket = dial()) {
            assertThat(roundTrip(socket, "hello")).isEqualTo("hello");
        }
        try (Socket socket = dial()) {
            assertThat(roundTrip(socket, "again")).isEqualTo("again");
        }
        assertThat(relay.accepted()).isEqualTo(2);
    }

    @Test
    void aBlackholeKeepsTheConnectionOpenForwardsNothingAndPassReleasesWhatWaited() throws Exception {
        try (Socket socket = dial()) {
            assertThat(roundTrip(socket, "before")).isEqualTo("before");
            relay.blackhole();
            socket.getOutputStream().write("held".getBytes(StandardCharsets.US_ASCII));
            socket.setSoTimeout(300);
            assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);

            relay.pass();
            socket.setSoTimeout(5_000);
            assertThat(new String(socket.getInputStream().readNBytes(4), StandardCharsets.US_ASCII))
                    .isEqualTo("held");
        }
    }

    /** The class's leak check (paranoid) fails it if the bytes the relay held were not released. */
    @Test
    void closingWhileBlackholedReleasesWhatWasHeld() throws Exception {
        try (Socket socket = dial()) {
            assertThat(roundTrip(socket, "before")).isEqualTo("before");
            relay.blackhole();
            socket.getOutputStream().write(new byte[100_000]);
            socket.setSoTimeout(300);
            assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            relay.close();
            socket.setSoTimeout(5_000);
            // A reset, not an orderly close: the kernel resets a socket closed with bytes unread in it.
            assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(SocketException.class)
                    .hasMessageContaining("reset");
        }
    }

    @Test
    void slowHoldsEachDirectionToItsRate() throws Exception {
        try (Socket socket = dial()) {
            relay.slow(64 * 1024);
            byte[] data = new byte[64 * 1024];
            long start = System.nanoTime();
            socket.getOutputStream().write(data);
            socket.setSoTimeout(10_000);
            assertThat(socket.getInputStream().readNBytes(data.length)).hasSize(data.length);
            // 64 KiB at 64 KiB/s up, and down again overlapping it: about a second, the first piece going at once.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(800),
                    Duration.ofSeconds(5));
        }
    }

    @Test
    void cutEndsOpenConnectionsWithAnOrderlyCloseAndNewOnesStillPass() throws Exception {
        try (Socket socket = dial()) {
            assertThat(roundTrip(socket, "x")).isEqualTo("x");
            relay.cut();
            socket.setSoTimeout(5_000);
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
        try (Socket socket = dial()) {
            assertThat(roundTrip(socket, "y")).isEqualTo("y");
        }
    }

    @Test
    void resetEndsOpenConnectionsWithAReset() throws Exception {
        try (Socket socket = dial()) {
            assertThat(roundTrip(socket, "x")).isEqualTo("x");
            relay.reset();
            socket.setSoTimeout(5_000);
            assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(SocketException.class)
                    .hasMessageContaining("reset");
        }
    }

    @Test
    void refusedConnectionsAreResetBeforeReachingTheTargetUntilRefusingStops() throws Exception {
        relay.refuseNew(true);
        try (Socket socket = dial()) {
            socket.setSoTimeout(5_000);
            assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(SocketException.class);
        }
        assertThat(relay.refused()).isEqualTo(1);
        assertThat(echo.connections()).isZero();

        relay.refuseNew(false);
        try (Socket socket = dial()) {
            assertThat(roundTrip(socket, "in")).isEqualTo("in");
        }
        assertThat(relay.accepted()).isEqualTo(1);
    }

    private Socket dial() throws IOException {
        return new Socket("127.0.0.1", relay.address().getPort());
    }

    private static String roundTrip(Socket socket, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        socket.getOutputStream().write(bytes);
        socket.setSoTimeout(5_000);
        return new String(socket.getInputStream().readNBytes(bytes.length), StandardCharsets.US_ASCII);
    }

    /** Echoes every byte back, a thread per connection. */
    private static final class Echo implements AutoCloseable {
        private final ServerSocket listener = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        private final List<Socket> accepted = new CopyOnWriteArrayList<>();

        Echo() throws IOException {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        Socket socket = listener.accept();
                        accepted.add(socket);
                        Thread copier = new Thread(() -> copy(socket), "echo");
                        copier.setDaemon(true);
                        copier.start();
                    }
                } catch (IOException closed) {
                    // the listener was closed
                }
            }, "echo-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private static void copy(Socket socket) {
            try (socket; InputStream in = socket.getInputStream()) {
                in.transferTo(socket.getOutputStream());
            } catch (IOException gone) {
                // the relay closed or reset it
            }
        }

        InetSocketAddress address() {
            return new InetSocketAddress("127.0.0.1", listener.getLocalPort());
        }

        int connections() {
            return accepted.size();
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }
}
