package io.restpipe;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP upstream on a raw socket (127.0.0.1:0) that records each request line exactly as it arrived and counts
 * connections, for tests of what a forward sends. Every request gets {@code 200 ok}; one whose path starts with
 * {@code /hold} is answered only after {@link #release()}. Requests must have no body.
 */
public final class RawUpstream implements AutoCloseable {
    public final List<String> requestLines = new CopyOnWriteArrayList<>();
    public final AtomicInteger connections = new AtomicInteger();
    public final AtomicInteger closedConnections = new AtomicInteger();
    private final CountDownLatch released = new CountDownLatch(1);
    private final ServerSocket listener;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    public RawUpstream() throws IOException {
        listener = new ServerSocket(0, 64, InetAddress.getByName("127.0.0.1"));
        threads.execute(this::accept);
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort());
    }

    /** Lets every held request (and those to come) be answered. */
    public void release() {
        released.countDown();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket socket = listener.accept();
                connections.incrementAndGet();
                threads.execute(() -> serve(socket));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.ISO_8859_1));
            OutputStream out = socket.getOutputStream();
            String line;
            while ((line = in.readLine()) != null) {
                requestLines.add(line);
                while ((line = in.readLine()) != null && !line.isEmpty()) {
                    // headers: not needed
                }
                if (requestLines.get(requestLines.size() - 1).split(" ")[1].startsWith("/hold")) {
                    released.await(30, TimeUnit.SECONDS);
                }
                out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException | InterruptedException | ArrayIndexOutOfBoundsException ignored) {
            // the forward closed the connection
        } finally {
            closedConnections.incrementAndGet();
        }
    }

    @Override
    public void close() throws IOException {
        released.countDown();
        listener.close();
        threads.shutdownNow();
    }
}
