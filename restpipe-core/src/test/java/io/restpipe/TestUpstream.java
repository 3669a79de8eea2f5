package io.restpipe;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real local HTTP service for forward tests (the JDK's HTTP server on 127.0.0.1:0):
 * {@code GET /bytes/N} streams N deterministic bytes, {@code POST|PUT /digest} answers the SHA-256 of the body,
 * {@code GET /trickle} sends 1 KiB then waits for {@link #releaseTrickle}, {@code GET /endless} writes until the
 * caller goes away and then counts down {@link #sawDisconnect}.
 */
public final class TestUpstream implements AutoCloseable {
    public final CountDownLatch trickleReleased = new CountDownLatch(1);
    public final CountDownLatch sawDisconnect = new CountDownLatch(1);
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    public TestUpstream() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(threads);
        server.createContext("/bytes/", this::bytes);
        server.createContext("/digest", this::digest);
        server.createContext("/trickle", this::trickle);
        server.createContext("/endless", this::endless);
        server.createContext("/idempotency-key", this::idempotencyKey);
        server.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The bytes {@code GET /bytes/N} serves, as a stream. */
    public static InputStream content(long length) {
        return new InputStream() {
            private final Random random = new Random(length);
            private long left = length;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left == 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                byte[] piece = new byte[n];
                random.nextBytes(piece);
                System.arraycopy(piece, 0, b, off, n);
                left -= n;
                return n;
            }
        };
    }

    public static String sha256(InputStream in) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            digest.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    public void releaseTrickle() {
        trickleReleased.countDown();
    }

    private void bytes(HttpExchange exchange) throws IOException {
        long length = Long.parseLong(exchange.getRequestURI().getPath().substring("/bytes/".length()));
        exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
        exchange.sendResponseHeaders(200, length);
        try (OutputStream out = exchange.getResponseBody(); InputStream in = content(length)) {
            in.transferTo(out);
        }
    }

    private void digest(HttpExchange exchange) throws IOException {
        String sha;
        try (InputStream in = exchange.getRequestBody()) {
            sha = sha256(in);
        } catch (Exception e) {
            throw new IOException(e);
        }
        byte[] answer = sha.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain");
        exchange.getResponseHeaders().set("X-Upstream", "digest");
        exchange.sendResponseHeaders(201, answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
        }
    }

    /** Answers with the request's Idempotency-Key header(s), joined by commas, or "(none)". */
    private void idempotencyKey(HttpExchange exchange) throws IOException {
        java.util.List<String> keys = exchange.getRequestHeaders().get("Idempotency-Key");
        byte[] answer = (keys == null ? "(none)" : String.join(",", keys)).getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
        }
    }

    private void trickle(HttpExchange exchange) throws IOException {
        exchange.sendResponseHeaders(200, 2048);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(new byte[1024]);
            out.flush();
            if (!trickleReleased.await(30, TimeUnit.SECONDS)) {
                throw new IOException("trickle never released");
            }
            out.write(new byte[1024]);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void endless(HttpExchange exchange) throws IOException {
        exchange.sendResponseHeaders(200, 0);
        byte[] piece = new byte[64 * 1024];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (OutputStream out = exchange.getResponseBody()) {
            while (System.nanoTime() < deadline) {
                out.write(piece);
                out.flush();
            }
        } catch (IOException callerGone) {
            sawDisconnect.countDown();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
