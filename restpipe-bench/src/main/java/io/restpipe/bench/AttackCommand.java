package io.restpipe.bench;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import io.restpipe.Identity;
import io.restpipe.PipeSettings;
import io.restpipe.cli.DurationConverter;
import io.restpipe.cli.HostPort;
import io.restpipe.cli.Logging;
import io.restpipe.cli.OutputCommand;
import io.restpipe.handler.On;
import io.restpipe.internal.tls.CertificateAuthority.Role;
import io.restpipe.internal.tls.CertificateAuthority;
import io.restpipe.internal.tls.TlsContexts;
import io.restpipe.internal.util.EventLoops;
import io.restpipe.internal.util.Failures;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameDecoder;
import io.restpipe.internal.wire.FrameEncoder;
import io.restpipe.internal.wire.FrameType;
import io.restpipe.internal.wire.proto.Event;
import io.restpipe.internal.wire.proto.EventReply;
import io.restpipe.internal.wire.proto.Heartbeat;
import io.restpipe.internal.wire.proto.HeartbeatReply;
import io.restpipe.internal.wire.proto.Hello;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The hostile peers and callers behind {@code bench/hostile.sh} (issue 11, SPEC §9), one subcommand per attack, and
 * the script's helpers: a good caller that records every call's latency, an upstream, a handler that always throws.
 *
 * <p>Every attack is bounded by {@code --seconds} and prints what it saw as lines the script reads: one
 * {@code summary: ...} for its table and, where the attack has a goal of its own, {@code check: ok} or
 * {@code check: FAIL ...}; other lines are details.
 *
 * <pre>{@code
 * restpipe-bench.jar attack --server localhost:1234 --pki pki --seconds 20 heartbeat-flood
 * }</pre>
 */
@Command(name = "attack", mixinStandardHelpOptions = true,
        description = "Hostile peers and callers for bench/hostile.sh, one subcommand per attack.")
final class AttackCommand extends OutputCommand {
    /** What a raw pipe client says first, as a v2 client does (the protocol version of io.restpipe.pipe). */
    private static final Hello HELLO = Hello.newBuilder().setProtocolVersion(2).setSoftware("restpipe-attack").build();
    private static final ByteString IMPOSTOR_BODY = ByteString.copyFromUtf8("{\"impostor\":true}");

    @Option(names = "--server", converter = HostPort.class, description = "the server's pipe address (HOST:PORT)")
    InetSocketAddress server;

    @Option(names = "--pki", description = "directory of the CA (ca.crt.pem, ca.key.pem) that issues attackers' certificates")
    Path pki;

    @Option(names = "--gateway", description = "the server gateway, e.g. http://127.0.0.1:8080")
    URI gateway;

    @Option(names = "--seconds", defaultValue = "20", description = "how long the attack lasts (default: ${DEFAULT-VALUE})")
    int seconds;

    private CertificateAuthority ca;

    // ---------------------------------------------------------------------------------------------------------------
    // 1. Heartbeat flood, 3. Event flood: valid certificates, as fast as the socket takes frames, never reading.

    @Command(name = "heartbeat-flood", description = "A valid client that sends heartbeats as fast as it can and never reads.")
    int heartbeatFlood() throws InterruptedException {
        return flood("attacker-heartbeats", id -> Frame.of(id, Heartbeat.getDefaultInstance()));
    }

    @Command(name = "event-flood",
            description = "A valid client that sends Events for a noun no handler takes, and never reads the replies.")
    int eventFlood(@Option(names = "--noun", defaultValue = "attack/no-handler") String noun)
            throws InterruptedException {
        Event event = Event.newBuilder().setVersion(2).setVerb("GET").setNoun(noun).build();
        return flood("attacker-events", id -> Frame.of(id, event));
    }

    /** Floods one pipe at a time until the deadline, opening a new one whenever the server closes the last. */
    private int flood(String name, IntFunction<Frame> frames) throws InterruptedException {
        Logging.quiet();
        long deadline = deadline();
        LongAdder sent = new LongAdder();
        int opened = 0;
        int closedByServer = 0;
        int refused = 0;
        EventLoopGroup loops = EventLoops.create("attack", 1);
        try {
            SslContext tls = tls(name);
            while (remainingMillis(deadline) > 0) {
                Flood flood = new Flood(frames, deadline, sent);
                Channel pipe = openPipe(loops, tls, flood);
                if (pipe == null) {
                    refused++;
                    TimeUnit.MILLISECONDS.sleep(200);
                    continue;
                }
                opened++;
                flood.start(pipe);
                if (!pipe.closeFuture().await(remainingMillis(deadline))) {
                    pipe.close().await(1000);
                } else {
                    closedByServer++;
                    TimeUnit.MILLISECONDS.sleep(200);
                }
            }
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        out().printf("summary: %,d frames sent; %d pipe(s) opened, %d closed by the server, %d refused%n",
                sent.sum(), opened, closedByServer, refused);
        return 0;
    }

    /** Writes frames whenever the channel is writable, until the deadline; never reads (auto-read off). */
    private static final class Flood extends ChannelInboundHandlerAdapter {
        private final IntFunction<Frame> frames;
        private final long deadline;
        private final LongAdder sent;
        private int nextId = 1;

        Flood(IntFunction<Frame> frames, long deadline, LongAdder sent) {
            this.frames = frames;
            this.deadline = deadline;
            this.sent = sent;
        }

        void start(Channel channel) {
            channel.config().setAutoRead(false);
            channel.eventLoop().execute(() -> writeBatch(channel));
        }

        private void writeBatch(Channel channel) {
            for (int i = 0; i < 1024 && channel.isWritable() && remainingMillis(deadline) > 0; i++) {
                channel.write(frames.apply(nextId++), channel.voidPromise());
                sent.increment();
            }
            channel.flush();
            if (channel.isActive() && channel.isWritable() && remainingMillis(deadline) > 0) {
                channel.eventLoop().execute(() -> writeBatch(channel)); // let the loop do its I/O in between
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                writeBatch(ctx.channel());
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 4. Bad HTTP to the gateway.

    @Command(name = "bad-http", description = "Malformed requests to the gateway: each must get a status, never silence.")
    int badHttp(@Option(names = "--path", defaultValue = "/client/good/time") String path,
                @Option(names = "--answer-timeout", defaultValue = "10s", converter = DurationConverter.class)
                Duration answerTimeout) throws Exception {
        long deadline = deadline();
        Map<String, byte[]> requests = badRequests(path);
        List<String> failures = new ArrayList<>();
        List<String> firstPass = new ArrayList<>();
        ExecutorService writers = Executors.newCachedThreadPool(daemon("attack-writer"));
        // Each once, all at the same time (a silent one costs --answer-timeout, not the others' too).
        Map<String, CompletableFuture<Answer>> first = new LinkedHashMap<>();
        requests.forEach((name, bytes) -> first.put(name,
                CompletableFuture.supplyAsync(() -> ask(bytes, answerTimeout, writers), writers)));
        for (Map.Entry<String, CompletableFuture<Answer>> request : first.entrySet()) {
            Answer answer = request.getValue().join();
            out().printf("%s: %s%n", request.getKey(), answer);
            firstPass.add(request.getKey() + " " + answer.brief());
            // A header block within --max-header-bytes (16 KiB) may be served; the rest must be refused.
            boolean served = request.getKey().equals("9KiB-header") && answer.status >= 200 && answer.status < 300;
            if (!served && (answer.status < 400 || answer.status > 499)) {
                failures.add(request.getKey() + " " + answer.brief());
            }
        }
        // Then the same requests again, 8 at a time, until the deadline: what hung requests cost the server.
        Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
        ExecutorService callers = Executors.newFixedThreadPool(8, daemon("attack-caller"));
        List<byte[]> all = new ArrayList<>(requests.values());
        for (int i = 0; i < 8; i++) {
            callers.execute(() -> {
                for (int n = 0; remainingMillis(deadline) > 0 && n < 100_000; n++) {
                    Duration timeout = Duration.ofMillis(Math.min(answerTimeout.toMillis(), remainingMillis(deadline) + 1));
                    Answer answer = ask(all.get(n % all.size()), timeout, writers);
                    outcomes.computeIfAbsent(answer.kind(), key -> new LongAdder()).increment();
                }
            });
        }
        callers.shutdown();
        callers.awaitTermination(seconds + answerTimeout.toSeconds() + 5, TimeUnit.SECONDS);
        writers.shutdownNow();
        out().printf("repeated for %d s, 8 at a time: %s%n", seconds, counts(outcomes));
        out().printf("summary: %s%n", String.join("; ", firstPass));
        printCheck(failures.isEmpty(), "no 4xx status for: " + String.join(", ", failures));
        return 0;
    }

    private static Map<String, byte[]> badRequests(String path) {
        String host = "Host: 127.0.0.1\r\n";
        Map<String, byte[]> requests = new LinkedHashMap<>();
        requests.put("9KiB-header", ascii("GET " + path + " HTTP/1.1\r\n" + host + "X-Big: " + "a".repeat(9 * 1024)
                + "\r\n\r\n"));
        requests.put("17KiB-header", ascii("GET " + path + " HTTP/1.1\r\n" + host + "X-Big: " + "a".repeat(17 * 1024)
                + "\r\n\r\n"));
        requests.put("1MiB-header", ascii("GET " + path + " HTTP/1.1\r\n" + host + "X-Big: " + "a".repeat(1 << 20)
                + "\r\n\r\n"));
        requests.put("CL+TE", ascii("POST " + path + " HTTP/1.1\r\n" + host + "Content-Length: 5\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
        requests.put("2-CLs", ascii("POST " + path + " HTTP/1.1\r\n" + host + "Content-Length: 5\r\n"
                + "Content-Length: 7\r\n\r\nhello, "));
        requests.put("16KiB-URL", ascii("GET " + path + "?q=" + "a".repeat(16 * 1024) + " HTTP/1.1\r\n" + host
                + "\r\n"));
        return requests;
    }

    /** Sends {@code request} on a new connection (written by another thread, so a stalled write cannot stop the read). */
    private Answer ask(byte[] request, Duration timeout, ExecutorService writers) {
        long started = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(gateway.getHost(), gateway.getPort()), 5000);
            socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
            writers.execute(() -> {
                try {
                    socket.getOutputStream().write(request);
                    socket.getOutputStream().flush();
                } catch (IOException e) {
                    // the server closed or reset: the read tells what it answered, if anything
                }
            });
            String line = readLine(socket.getInputStream());
            long millis = millisSince(started);
            if (line == null) {
                return new Answer(-1, millis, "closed without a status");
            }
            String[] parts = line.split(" ", 3);
            int status = parts.length > 1 && parts[1].matches("\\d{3}") ? Integer.parseInt(parts[1]) : -1;
            return new Answer(status, millis, status < 0 ? "not HTTP: " + truncate(line, 40) : "status");
        } catch (SocketTimeoutException e) {
            return new Answer(-1, millisSince(started), "silent");
        } catch (IOException e) {
            return new Answer(-1, millisSince(started), "error: " + Failures.describe(e));
        }
    }

    /** How one malformed request was answered: a status (or -1), after how long, and how. */
    private record Answer(int status, long millis, String how) {
        String brief() {
            return (status > 0 ? String.valueOf(status) : how.startsWith("silent") ? "silent" : "no status")
                    + " " + (millis < 1000 ? millis + "ms" : String.format("%.1fs", millis / 1000.0));
        }

        String kind() {
            return status > 0 ? String.valueOf(status) : how.replaceAll(":.*", "");
        }

        @Override
        public String toString() {
            return (status > 0 ? "status " + status : how) + " after " + millis + " ms";
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 5. Slowloris and idle keep-alive connections.

    @Command(name = "connections",
            description = "Slowloris connections (1 header byte a second) and idle keep-alive ones to the gateway.")
    int connections(@Option(names = "--idle", defaultValue = "14000") int idle,
                    @Option(names = "--slowloris", defaultValue = "400") int slowloris,
                    @Option(names = "--sources", defaultValue = "8",
                            description = "source addresses 127.0.0.2 onwards, so local ports do not run out")
                    int sources) throws Exception {
        Logging.quiet();
        long deadline = deadline();
        EventLoopGroup loops = EventLoops.create("attack", 2);
        List<Channel> channels = new ArrayList<>();
        ConnectionCounts slow = new ConnectionCounts();
        ConnectionCounts keptIdle = new ConnectionCounts();
        try {
            Semaphore connecting = new Semaphore(256);
            for (int i = 0; i < slowloris + idle && remainingMillis(deadline) > 0; i++) {
                boolean isSlow = i < slowloris;
                if (!connecting.tryAcquire(remainingMillis(deadline), TimeUnit.MILLISECONDS)) {
                    break;
                }
                ChannelFuture connect = new Bootstrap().group(loops).channelFactory(EventLoops.socketChannels())
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                        .handler(isSlow ? new Slowloris(slow) : new IdleKeepAlive(keptIdle))
                        .connect(new InetSocketAddress(gateway.getHost(), gateway.getPort()),
                                new InetSocketAddress(InetAddress.getByName("127.0.0." + (2 + i % sources)), 0));
                connect.addListener(done -> {
                    connecting.release();
                    if (!done.isSuccess()) {
                        (isSlow ? slow : keptIdle).failed.increment();
                    }
                });
                channels.add(connect.channel());
            }
            out().printf("opened in %.1f s%n", (System.nanoTime() - (deadline - seconds * 1_000_000_000L)) / 1e9);
            TimeUnit.MILLISECONDS.sleep(remainingMillis(deadline));
            Answer fresh = ask(ascii("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), Duration.ofSeconds(5),
                    Executors.newSingleThreadExecutor(daemon("attack-writer")));
            int open = (int) channels.stream().filter(Channel::isActive).count();
            out().printf("summary: slowloris %s; idle %s; %d open at the end; a new caller then got %s%n",
                    slow.describe(slowloris), keptIdle.describe(idle), open, fresh.brief());
            long slowOpen = slowloris - slow.failed.sum();
            printCheck(fresh.status > 0 && fresh.millis <= 5000 && slow.closedByServer.sum() == slowOpen,
                    (fresh.status > 0 ? "" : "a new caller got no status within 5 s; ")
                            + (slowOpen - slow.closedByServer.sum()) + " slowloris connections still open after "
                            + seconds + " s");
        } finally {
            channels.forEach(channel -> channel.attr(ConnectionCounts.CLOSING).set(true));
            channels.forEach(Channel::close);
            loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        }
        return 0;
    }

    /** How the connections of one kind fared: failed to open, answered with a status, closed by the server. */
    private static final class ConnectionCounts {
        static final io.netty.util.AttributeKey<Boolean> CLOSING = io.netty.util.AttributeKey.valueOf("closing");
        final LongAdder failed = new LongAdder();
        final LongAdder answered = new LongAdder();
        final LongAdder closedByServer = new LongAdder();

        void closed(Channel channel) {
            if (!Boolean.TRUE.equals(channel.attr(CLOSING).get())) {
                closedByServer.increment();
            }
        }

        String describe(int total) {
            return String.format("%d: %d failed to open, %d answered, %d closed by the server", total, failed.sum(),
                    answered.sum(), closedByServer.sum());
        }
    }

    /** Sends a request line, then one header byte a second, never finishing the header block. */
    private static final class Slowloris extends ChannelInboundHandlerAdapter {
        private final ConnectionCounts counts;
        private ScheduledFuture<?> dripping;

        Slowloris(ConnectionCounts counts) {
            this.counts = counts;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(Unpooled.copiedBuffer("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slowloris: ",
                    StandardCharsets.US_ASCII));
            dripping = ctx.executor().scheduleAtFixedRate(
                    () -> ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'a'})), 1, 1, TimeUnit.SECONDS);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            counts.answered.increment();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (dripping != null) {
                dripping.cancel(false);
            }
            counts.closed(ctx.channel());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Sends one whole request, takes its answer, then keeps the connection open and says nothing. */
    private static final class IdleKeepAlive extends ChannelInboundHandlerAdapter {
        private final ConnectionCounts counts;
        private boolean answered;

        IdleKeepAlive(ConnectionCounts counts) {
            this.counts = counts;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(Unpooled.copiedBuffer("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                    StandardCharsets.US_ASCII));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            if (!answered) {
                answered = true;
                counts.answered.increment();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            counts.closed(ctx.channel());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 6. Path traversal through --forward: what a raw upstream receives.

    @Command(name = "traversal", description = "Nasty nouns to a client whose --forward is the raw recorder of 'upstream'.")
    int traversal(@Option(names = "--target", defaultValue = "trav") String target,
                  @Option(names = "--record", required = true, description = "the recorder's file") Path record)
            throws Exception {
        List<String> nouns = List.of("..%2F..%2Fsecret", "%2e%2e/%2e%2e/secret", "a%3Fb=c", "x%00y", "a%23b");
        List<String> failures = new ArrayList<>();
        List<String> brief = new ArrayList<>();
        for (String noun : nouns) {
            long recorded = lines(record);
            String status = rawGet("/client/" + target + "/" + noun);
            TimeUnit.MILLISECONDS.sleep(300); // the recorder writes its line when the request arrived
            // The recorder creates its file with the first request it receives: none yet means none arrived.
            List<String> received = Files.exists(record)
                    ? Files.readAllLines(record).stream().skip(recorded).toList() : List.of();
            String line = received.isEmpty() ? "(nothing)" : String.join(" | ", received);
            out().printf("%s -> %s, upstream received: %s%n", noun, status, line);
            brief.add(noun + " " + status + " " + (received.isEmpty() ? "-" : "'" + received.get(0) + "'"));
            received.stream().filter(AttackCommand::isStructural).findFirst()
                    .ifPresent(bad -> failures.add(noun + " reached the upstream as '" + bad + "'"));
        }
        out().printf("summary: %s%n", String.join("; ", brief));
        printCheck(failures.isEmpty(), String.join(", ", failures));
        return 0;
    }

    /** True when a request line shows a decoded noun: a dot-dot segment, a control character or a query from %3F. */
    private static boolean isStructural(String requestLine) {
        String target = requestLine.replaceFirst("^\\S+ ", "").replaceFirst(" HTTP/1\\.[01]$", "");
        return target.matches("(?s).*(^|/)\\.\\.(/|$|\\?).*") || target.contains("\\x") || target.contains("?b=c")
                || target.contains("#");
    }

    /** GETs {@code path} exactly as written (no normalization) and returns "status" or the failure. */
    private String rawGet(String path) {
        try (Socket socket = new Socket(gateway.getHost(), gateway.getPort())) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(ascii("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
            String line = readLine(socket.getInputStream());
            return line == null ? "closed" : line.split(" ", 3)[1];
        } catch (IOException e) {
            return "error (" + Failures.describe(e) + ")";
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 7. An impostor: a second certificate with a live client's name.

    @Command(name = "impostor",
            description = "A second certificate with a live client's CN connecting again and again, while calls go to that name.")
    int impostor(@Option(names = "--name", defaultValue = "victim") String name,
                 @Option(names = "--rate", defaultValue = "20", description = "calls a second to the name") int rate,
                 @Option(names = "--reconnect-every", defaultValue = "1s", converter = DurationConverter.class)
                 Duration reconnectEvery) throws Exception {
        Logging.quiet();
        long deadline = deadline();
        EventLoopGroup loops = EventLoops.create("attack", 1);
        AtomicInteger pipes = new AtomicInteger();
        Thread connector = new Thread(() -> keepImpersonating(loops, name, reconnectEvery, deadline, pipes),
                "attack-impostor");
        connector.setDaemon(true);
        connector.start();
        Map<String, LongAdder> reached = new ConcurrentHashMap<>();
        HttpClient http = httpClient();
        List<CompletableFuture<Void>> calls = new ArrayList<>();
        int total = rate * seconds;
        long periodNanos = 1_000_000_000L / rate;
        long start = System.nanoTime();
        for (int i = 0; i < total && remainingMillis(deadline) > 0; i++) {
            sleepUntil(start + i * periodNanos);
            HttpRequest request = HttpRequest.newBuilder(gateway.resolve("/client/" + name + "/time"))
                    .timeout(Duration.ofSeconds(10)).build();
            calls.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                    .handle((response, error) -> {
                        String who = error != null ? "failed: " + Failures.rootCause(error).getClass().getSimpleName()
                                : response.body().contains("impostor") ? "impostor"
                                : response.body().contains("time_from_client") ? "real client"
                                : "status " + response.statusCode();
                        reached.computeIfAbsent(who, key -> new LongAdder()).increment();
                        return null;
                    }));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).orTimeout(15, TimeUnit.SECONDS)
                .exceptionally(error -> null).join();
        connector.join(5000);
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        long real = reached.getOrDefault("real client", new LongAdder()).sum();
        out().printf("summary: %d calls to '%s': %s; impostor pipes opened %d%n", calls.size(), name, counts(reached),
                pipes.get());
        printCheck(real == calls.size(), (calls.size() - real) + " of " + calls.size() + " did not reach the real client");
        return 0;
    }

    /** Opens a pipe as {@code name} every {@code every} (and again at once when the server drops it) until the deadline. */
    private void keepImpersonating(EventLoopGroup loops, String name, Duration every, long deadline,
                                   AtomicInteger pipes) {
        try {
            SslContext tls = tls(name);
            Channel current = null;
            while (remainingMillis(deadline) > 0) {
                Channel next = openPipe(loops, tls, new Impostor());
                if (next != null) {
                    pipes.incrementAndGet();
                    if (current != null) {
                        current.close();
                    }
                    current = next;
                    ScheduledFuture<?> heartbeats = current.eventLoop().scheduleAtFixedRate(
                            new HeartbeatSender(current), 0, 2, TimeUnit.SECONDS);
                    current.closeFuture().addListener(closed -> heartbeats.cancel(false));
                }
                long wait = Math.min(every.toMillis(), remainingMillis(deadline));
                if (current != null) {
                    current.closeFuture().await(Math.max(1, wait));
                } else {
                    TimeUnit.MILLISECONDS.sleep(Math.max(1, wait));
                }
            }
            if (current != null) {
                current.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Keeps the impostor's pipe from looking silent, as a real client's heartbeats would. */
    private record HeartbeatSender(Channel channel) implements Runnable {
        @Override
        public void run() {
            channel.writeAndFlush(Frame.of(0, Heartbeat.getDefaultInstance()), channel.voidPromise());
        }
    }

    /** Answers every event with {@code {"impostor":true}} and every heartbeat, like a live client would. */
    private static final class Impostor extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Frame frame && frame.type() == FrameType.EVENT) {
                ctx.writeAndFlush(Frame.of(frame.id(), EventReply.newBuilder().setVersion(2).setCode(0).setStatus(200)
                        .setMimetype("application/json").setData(IMPOSTOR_BODY).build()));
            } else if (msg instanceof Frame frame && frame.type() == FrameType.HEARTBEAT) {
                ctx.writeAndFlush(Frame.of(frame.id(), HeartbeatReply.getDefaultInstance()));
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 8. Calls to a handler that throws.

    @Command(name = "throwing", description = "Many calls, from a valid client, to a server handler that always throws.")
    int throwing(@Option(names = "--calls", defaultValue = "10000") int calls,
                 @Option(names = "--in-flight", defaultValue = "64") int inFlight,
                 @Option(names = "--noun", defaultValue = Throwing.NOUN) String noun) throws InterruptedException {
        Logging.quiet();
        long deadline = deadline();
        EventLoopGroup loops = EventLoops.create("attack", 1);
        Replies replies = new Replies(inFlight);
        int sent = 0;
        try {
            Channel pipe = openPipe(loops, tls("attacker-calls"), replies);
            if (pipe == null) {
                out().println("summary: the server refused the pipe");
                printCheck(false, "no pipe");
                return 0;
            }
            Event event = Event.newBuilder().setVersion(2).setVerb("GET").setNoun(noun).build();
            while (sent < calls && replies.permits.tryAcquire(remainingMillis(deadline), TimeUnit.MILLISECONDS)) {
                pipe.writeAndFlush(Frame.of(++sent, event));
            }
            replies.permits.tryAcquire(inFlight, Math.min(5000, remainingMillis(deadline) + 5000), TimeUnit.MILLISECONDS);
            pipe.close();
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        out().printf("first reply: %s%n", replies.sample == null ? "(none)" : truncate(replies.sample, 300));
        out().printf("summary: %d calls sent, replies by code %s, %d carried a Java stack trace%n", sent,
                counts(replies.byCode), replies.withTrace.sum());
        printCheck(replies.withTrace.sum() == 0, replies.withTrace.sum() + " replies carried a Java stack trace");
        return 0;
    }

    /** Counts event replies by code and those whose body holds a Java stack trace ("at io." frames). */
    private static final class Replies extends ChannelInboundHandlerAdapter {
        final Semaphore permits;
        final Map<String, LongAdder> byCode = new ConcurrentHashMap<>();
        final LongAdder withTrace = new LongAdder();
        volatile String sample;

        Replies(int inFlight) {
            this.permits = new Semaphore(inFlight);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Frame frame && frame.type() == FrameType.EVENT_REPLY) {
                EventReply reply = frame.as(EventReply.class);
                String body = reply.getData().toStringUtf8();
                byCode.computeIfAbsent(reply.getCode() + "/" + (reply.hasStatus() ? reply.getStatus() : 200),
                        key -> new LongAdder()).increment();
                if (body.contains("at io.") || body.contains("\\tat io.")) {
                    withTrace.increment();
                }
                if (sample == null) {
                    sample = body;
                }
                permits.release();
            }
            ReferenceCountUtil.release(msg);
        }
    }

    /** A handler that always throws: {@code --handler 'io.restpipe.bench.AttackCommand$Throwing'} on the server. */
    public static final class Throwing {
        static final String NOUN = "attack/throw";

        @On(verb = "GET", noun = NOUN)
        public String fail() {
            throw new IllegalStateException("this handler always throws (bench/hostile.sh)");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 9. Calls in the first seconds after a server restart, to a client that is still reconnecting.

    @Command(name = "restart-calls", description = "Waits for the gateway to go down and come back, then calls at once.")
    int restartCalls(@Option(names = "--path", defaultValue = "/client/good/time") String path,
                     @Option(names = "--every", defaultValue = "20ms", converter = DurationConverter.class)
                     Duration every,
                     @Option(names = "--call-timeout", defaultValue = "30s", converter = DurationConverter.class)
                     Duration callTimeout) throws Exception {
        InetSocketAddress address = new InetSocketAddress(gateway.getHost(), gateway.getPort());
        // The client's first calls load most of its classes, which takes most of a second in a cold JVM: done
        // against the old server, so that the calls after the restart leave at once.
        HttpClient http = httpClient();
        for (int i = 0; i < 20; i++) {
            http.send(HttpRequest.newBuilder(gateway.resolve("/healthz")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding());
        }
        out().println("ready");
        if (!awaitPort(address, false, 60) || !awaitPort(address, true, 60)) {
            out().println("summary: the gateway did not go down and come back within 60 s each");
            printCheck(false, "no restart seen");
            return 0;
        }
        long upAt = System.nanoTime();
        Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
        List<Long> notFoundAt = new ArrayList<>();
        List<Long> okAt = new ArrayList<>();
        List<CompletableFuture<Void>> calls = new ArrayList<>();
        for (long sentAt = upAt; sentAt - upAt < seconds * 1_000_000_000L; sentAt += every.toNanos()) {
            sleepUntil(sentAt);
            long offsetMillis = (System.nanoTime() - upAt) / 1_000_000;
            HttpRequest request = HttpRequest.newBuilder(gateway.resolve(path)).timeout(callTimeout).build();
            calls.add(http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).handle((response, error) -> {
                String status = error != null ? "failed" : String.valueOf(response.statusCode());
                statuses.computeIfAbsent(status, key -> new LongAdder()).increment();
                List<Long> at = "404".equals(status) ? notFoundAt : "200".equals(status) ? okAt : null;
                if (at != null) {
                    synchronized (at) {
                        at.add(offsetMillis);
                    }
                }
                return null;
            }));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
                .orTimeout(callTimeout.toSeconds() + 5, TimeUnit.SECONDS).exceptionally(error -> null).join();
        String when = (notFoundAt.isEmpty() ? "" : String.format("; the 404s were sent %d-%d ms after the gateway "
                + "was back", Collections.min(notFoundAt), Collections.max(notFoundAt)))
                + (okAt.isEmpty() ? "" : String.format("; the first 200 %d ms after", Collections.min(okAt)));
        out().printf("summary: %d calls in the first %d s: %s%s%n", calls.size(), seconds, counts(statuses), when);
        printCheck(notFoundAt.isEmpty(), notFoundAt.size() + " calls got 404");
        return 0;
    }

    /** Waits until {@code address} accepts connections ({@code accepting}) or refuses them; false after the limit. */
    private static boolean awaitPort(InetSocketAddress address, boolean accepting, int limitSeconds)
            throws InterruptedException {
        long deadline = System.nanoTime() + limitSeconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            boolean accepts;
            try (Socket socket = new Socket()) {
                socket.connect(address, 200);
                accepts = true;
            } catch (IOException e) {
                accepts = false;
            }
            if (accepts == accepting) {
                return true;
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
        return false;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Helpers of the script: the good client's calls, and the upstream.

    @Command(name = "good-calls", description = "The good client's calls at a steady rate; every latency is recorded.")
    int goodCalls(@Option(names = "--client-gateway", required = true) URI clientGateway,
                  @Option(names = "--target", defaultValue = "good") String target,
                  @Option(names = "--rate", defaultValue = "200") int rate,
                  @Option(names = "--call-timeout", defaultValue = "10s", converter = DurationConverter.class)
                  Duration callTimeout,
                  @Option(names = "--connections", defaultValue = "16",
                          description = "connections to each gateway at most (default: ${DEFAULT-VALUE})") int connections,
                  @Option(names = "--out", required = true,
                          description = "one line per call: due epoch ms, latency in microseconds, status (0 = failed), "
                                  + "s (via the server gateway) or c (via the client's)") Path outFile)
            throws Exception {
        Logging.quiet();
        EventLoopGroup loops = EventLoops.create("good", 1);
        // A bounded pool, like any real client's: the server's fds then count the attack, not how many connections
        // this caller opened while calls were slow.
        try (GatewayCaller viaServer = new GatewayCaller(loops, gateway, connections, callTimeout);
             GatewayCaller viaClient = new GatewayCaller(loops, clientGateway, connections, callTimeout);
             PrintWriter records = new PrintWriter(Files.newBufferedWriter(outFile, StandardOpenOption.CREATE,
                     StandardOpenOption.TRUNCATE_EXISTING))) {
            ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(daemon("good-ticker"));
            long periodNanos = 1_000_000_000L / rate;
            long total = (long) rate * seconds;
            long firstDue = System.nanoTime();
            long firstDueEpochMillis = System.currentTimeMillis();
            AtomicInteger sent = new AtomicInteger();
            ticker.scheduleAtFixedRate(() -> {
                int index = sent.getAndIncrement();
                if (index >= total) {
                    return;
                }
                long due = firstDue + index * periodNanos;
                boolean server = index % 2 == 0;
                (server ? viaServer.get("/client/" + target + "/time", callTimeout)
                        : viaClient.get("/server/time", callTimeout)).whenComplete((status, error) -> {
                            long micros = (System.nanoTime() - due) / 1000;
                            synchronized (records) {
                                records.printf("%d %d %d %s%n", firstDueEpochMillis + (due - firstDue) / 1_000_000,
                                        micros, error != null ? 0 : status, server ? "s" : "c");
                            }
                        });
            }, 0, periodNanos, TimeUnit.NANOSECONDS);
            ticker.scheduleAtFixedRate(() -> {
                synchronized (records) {
                    records.flush();
                }
            }, 1, 1, TimeUnit.SECONDS);
            ticker.awaitTermination(seconds + callTimeout.toSeconds() + 1, TimeUnit.SECONDS);
            ticker.shutdownNow();
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        return 0;
    }

    @Command(name = "upstream", description = "A local upstream for --forward: HTTP (a big body under /big, 200 for any "
            + "other path) and a raw listener that records each request line exactly as received; runs --seconds.")
    int upstream(@Option(names = "--http-port", required = true) int httpPort,
                 @Option(names = "--raw-port", required = true) int rawPort,
                 @Option(names = "--record", required = true) Path record,
                 @Option(names = "--big-bytes", defaultValue = "67108864") long bigBytes) throws Exception {
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", httpPort), 1024);
        http.createContext("/", exchange -> answerUpstream(exchange, bigBytes));
        http.setExecutor(Executors.newFixedThreadPool(128, daemon("upstream-http")));
        http.start();
        ServerSocket raw = new ServerSocket(rawPort, 128, InetAddress.getByName("127.0.0.1"));
        Thread recorder = new Thread(() -> recordRequestLines(raw, record), "upstream-raw");
        recorder.setDaemon(true);
        recorder.start();
        out().printf("upstream: http on %d, raw recorder on %d%n", httpPort, rawPort);
        TimeUnit.SECONDS.sleep(seconds);
        http.stop(0);
        raw.close();
        return 0;
    }

    private static void answerUpstream(HttpExchange exchange, long bigBytes) throws IOException {
        try (exchange) {
            exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
            boolean big = exchange.getRequestURI().getRawPath().startsWith("/big");
            byte[] small = ascii("ok\n");
            exchange.getResponseHeaders().set("Content-Type", big ? "application/octet-stream" : "text/plain");
            exchange.sendResponseHeaders(200, big ? bigBytes : small.length);
            OutputStream body = exchange.getResponseBody();
            if (!big) {
                body.write(small);
                return;
            }
            byte[] block = new byte[64 * 1024];
            Arrays.fill(block, (byte) 'x');
            for (long left = bigBytes; left > 0; left -= block.length) {
                body.write(block, 0, (int) Math.min(block.length, left));
            }
        } catch (IOException e) {
            // the caller went away
        }
    }

    /** Accepts connections one at a time, appends each request line (control bytes as \xNN) to {@code record}. */
    private static void recordRequestLines(ServerSocket listener, Path record) {
        while (!listener.isClosed()) {
            try (Socket socket = listener.accept()) {
                socket.setSoTimeout(5000);
                InputStream in = socket.getInputStream();
                String line = readLine(in);
                if (line == null) {
                    continue;
                }
                Files.writeString(record, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                for (String header = readLine(in); header != null && !header.isEmpty(); header = readLine(in)) {
                    // the headers: not recorded
                }
                socket.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                        + "Content-Length: 9\r\nConnection: close\r\n\r\nrecorded\n"));
            } catch (IOException e) {
                // a caller that hung up mid-request; the listener closing ends the loop
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Shared plumbing.

    /**
     * Opens a pipe to {@code --server} with {@code tls}: TLS, then Hello, then {@code attack} at the end of the
     * pipeline. Returns the channel once the server answered Hello, or {@code null} if it refused within 10 s.
     */
    private Channel openPipe(EventLoopGroup loops, SslContext tls, ChannelHandler attack) throws InterruptedException {
        Promise<Channel> up = loops.next().newPromise();
        ChannelFuture connect = new Bootstrap().group(loops).channelFactory(EventLoops.socketChannels())
                .option(ChannelOption.ALLOCATOR, EventLoops.ALLOCATOR)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(
                                tls.newHandler(channel.alloc(), server.getHostString(), server.getPort()),
                                new FrameDecoder(PipeSettings.DEFAULT_MAX_FRAME_PAYLOAD), new FrameEncoder(),
                                new HelloExchange(up), attack);
                    }
                })
                .connect(server.getHostString(), server.getPort());
        connect.addListener(done -> {
            if (!done.isSuccess()) {
                up.tryFailure(done.cause());
            }
        });
        if (up.await(10, TimeUnit.SECONDS) && up.isSuccess()) {
            return up.getNow();
        }
        connect.channel().close();
        return null;
    }

    /** Says Hello once TLS is up and completes {@code up} when the server's first frame arrives; then steps aside. */
    private static final class HelloExchange extends ChannelInboundHandlerAdapter {
        private final Promise<Channel> up;

        HelloExchange(Promise<Channel> up) {
            this.up = up;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent handshake) {
                if (handshake.isSuccess()) {
                    ctx.writeAndFlush(Frame.of(0, HELLO));
                } else {
                    up.tryFailure(handshake.cause());
                    ctx.close();
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Frame frame && frame.type() == FrameType.HELLO_REPLY) {
                ctx.pipeline().remove(this);
                up.trySuccess(ctx.channel());
                return;
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            up.tryFailure(new ConnectException("closed before the server answered Hello"));
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            up.tryFailure(cause);
            ctx.close();
        }
    }

    /** A client TLS context for a certificate named {@code name}, issued now by the CA in {@code --pki}. */
    private SslContext tls(String name) {
        if (ca == null) {
            ca = CertificateAuthority.load(pki);
        }
        Identity identity = ca.issue(name, Role.CLIENT, List.of(), List.of(), Duration.ofDays(1));
        return TlsContexts.client(identity, List.of(ca.certificate()));
    }

    private long deadline() {
        return System.nanoTime() + seconds * 1_000_000_000L;
    }

    private static long remainingMillis(long deadline) {
        return Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    private void printCheck(boolean ok, String otherwise) {
        out().println(ok ? "check: ok" : "check: FAIL " + otherwise);
    }

    private static HttpClient httpClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** Reads one line ending in LF (CR dropped) as Latin-1 with control bytes written \xNN; null at end of stream. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                return line.size() == 0 ? null : escape(line.toByteArray());
            }
            if (line.size() > 64 * 1024) {
                throw new IOException("line longer than 64 KiB");
            }
            line.write(b);
        }
        byte[] bytes = line.toByteArray();
        int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return escape(Arrays.copyOf(bytes, length));
    }

    private static String escape(byte[] bytes) {
        StringBuilder text = new StringBuilder();
        for (byte b : bytes) {
            int c = b & 0xff;
            text.append(c < 0x20 || c >= 0x7f ? String.format("\\x%02x", c) : String.valueOf((char) c));
        }
        return text.toString();
    }

    private static long lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file).size() : 0;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String truncate(String text, int length) {
        String flat = text.replace("\n", "\\n").replace("\t", "\\t");
        return flat.length() <= length ? flat : flat.substring(0, length) + "...";
    }

    private static String counts(Map<String, LongAdder> byKey) {
        Map<String, Long> sorted = new TreeMap<>();
        byKey.forEach((key, count) -> sorted.put(key, count.sum()));
        return sorted.isEmpty() ? "none" : sorted.entrySet().stream().map(entry -> entry.getValue() + "x " + entry.getKey())
                .reduce((a, b) -> a + ", " + b).orElse("");
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return new io.netty.util.concurrent.DefaultThreadFactory(name, true);
    }
}
