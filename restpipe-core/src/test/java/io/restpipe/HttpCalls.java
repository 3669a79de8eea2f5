package io.restpipe;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A real HTTP client for tests, calling a gateway on loopback. */
public final class HttpCalls {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private HttpCalls() {
    }

    public static HttpResponse<String> get(InetSocketAddress gateway, String path) throws Exception {
        return send(gateway, path, "GET", HttpRequest.BodyPublishers.noBody(), null);
    }

    public static HttpResponse<String> send(InetSocketAddress gateway, String path, String method,
                                            HttpRequest.BodyPublisher body, String contentType,
                                            String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(gateway, path)).method(method, body)
                .timeout(Duration.ofSeconds(30));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (headers.length > 0) {
            request.headers(headers);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Starts a GET without waiting for its answer. */
    public static java.util.concurrent.CompletableFuture<HttpResponse<String>> getAsync(InetSocketAddress gateway,
                                                                                       String path) {
        return CLIENT.sendAsync(HttpRequest.newBuilder(uri(gateway, path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Sends {@code requestLines} (CRLF added) as they are, for requests a proper client refuses to build. */
    public static String raw(InetSocketAddress gateway, String... requestLines) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", gateway.getPort())) {
            socket.setSoTimeout(10_000);
            String request = String.join("\r\n", requestLines) + "\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            socket.shutdownOutput();
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    public static URI uri(InetSocketAddress gateway, String path) {
        return URI.create("http://127.0.0.1:" + gateway.getPort() + path);
    }
}
