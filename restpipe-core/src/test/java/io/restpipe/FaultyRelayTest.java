package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
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
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The test relay itself, in front of a plain TCP echo service, so that a fault test can trust its faults. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FaultyRelayTest {
    private final Echo echo = new Echo();
    /** The relay's clock, which paces {@link FaultyRelay#slow}: it moves only when a test moves it. */
    private final MockTicker clock = Ticker.newMockTicker();
    private final FaultyRelay relay = new FaultyRelay(echo.address(), clock);

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

    /**
     * On the relay's clock, which only the test moves: a slowed direction sends one piece ({@value
     * FaultyRelay#SLOW_TICK_MILLIS} ms of its rate) at once, nothing more while the clock stands still, and at most
     * one more piece each way per {@value FaultyRelay#SLOW_TICK_MILLIS} ms the clock moves on; so 64 KiB at 64 KiB/s
     * come back whole only once the clock has moved on by a second.
     */
    @Test
    void slowHoldsEachDirectionToItsRate() throws Exception {
        int bytesPerSecond = 64 * 1024;
        int piece = (int) (bytesPerSecond * FaultyRelay.SLOW_TICK_MILLIS / 1000);
        byte[] data = new byte[64 * 1024];
        new Random(7).nextBytes(data);
        try (Socket socket = dial()) {
            relay.slow(bytesPerSecond);
            socket.getOutputStream().write(data);
            InputStream in = socket.getInputStream();
            socket.setSoTimeout(5_000);
            byte[] received = new byte[data.length];
            int got = in.read(received);
            socket.setSoTimeout(300);
            got += readUntilQuiet(in, received, got);
            assertThat(got).as("bytes back while the clock stands still: the first piece, at once").isBetween(1, piece);

            socket.setSoTimeout(5_000);
            int ticks = 0;
            while (got < data.length) {
                clock.advance(FaultyRelay.SLOW_TICK_MILLIS, TimeUnit.MILLISECONDS);
                ticks++;
                int read = in.read(received, got, data.length - got);
                assertThat(read).as("bytes after tick %d", ticks).isPositive();
                got += read;
                assertThat(got).as("bytes back after %d ms of the relay's clock", ticks * FaultyRelay.SLOW_TICK_MILLIS)
                        .isLessThanOrEqualTo((ticks + 1) * piece);
            }
            assertThat(received).isEqualTo(data);
            // A second's worth of bytes, the first piece free.
            assertThat(Duration.ofMillis(ticks * FaultyRelay.SLOW_TICK_MILLIS)).as("time on the relay's clock")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(1_000 - FaultyRelay.SLOW_TICK_MILLIS));
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

    /** Reads into {@code into} from {@code offset} until nothing came for the socket's timeout; returns the count. */
    private static int readUntilQuiet(InputStream in, byte[] into, int offset) throws IOException {
        int total = 0;
        try {
            for (int read; offset + total < into.length
                    && (read = in.read(into, offset + total, into.length - offset - total)) > 0; ) {
                total += read;
            }
        } catch (SocketTimeoutException quiet) {
            // nothing more for now
        }
        return total;
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
