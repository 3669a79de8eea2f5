package io.restpipe.bench;

import io.netty.channel.EventLoopGroup;
import io.restpipe.Identity;
import io.restpipe.PeerInfo;
import io.restpipe.PipeListener;
import io.restpipe.PipeSettings;
import io.restpipe.cli.DurationConverter;
import io.restpipe.cli.HostPort;
import io.restpipe.cli.Logging;
import io.restpipe.cli.OutputCommand;
import io.restpipe.handler.BuiltinHandlers;
import io.restpipe.handler.Handlers;
import io.restpipe.internal.call.BodyMemory;
import io.restpipe.internal.dispatch.HandlerDispatcher;
import io.restpipe.internal.metrics.PipeMetrics;
import io.restpipe.internal.peer.PipeClient;
import io.restpipe.internal.tls.CertificateAuthority.Role;
import io.restpipe.internal.tls.CertificateAuthority;
import io.restpipe.internal.tls.TlsContexts;
import io.restpipe.internal.tls.TlsMaterial;
import io.restpipe.internal.util.EventLoops;
import io.restpipe.internal.util.Failures;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The load tool behind {@code bench/scale.sh}: many real mTLS client pipes from one JVM (from several loopback
 * source addresses, so ports do not run out), then calls at a fixed rate to random clients through a server
 * gateway. Prints one line per milestone; runs until killed, reporting each time all pipes are back.
 */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Load tool for bench/scale.sh: N client pipes in one JVM, then calls at a fixed rate.")
final class LoadCommand extends OutputCommand implements Callable<Integer> {
    @Option(names = "--server", required = true, converter = HostPort.class, description = "the server to dial")
    InetSocketAddress server;

    @Option(names = "--pki", required = true, description = "directory of the CA (ca.crt.pem, ca.key.pem)")
    Path pki;

    @Option(names = "--clients", defaultValue = "1000", description = "pipes to open (default: ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--sources", defaultValue = "8",
            description = "loopback source addresses 127.0.0.2 onwards (default: ${DEFAULT-VALUE})")
    int sources;

    @Option(names = "--gateway", description = "server gateway to call, e.g. http://127.0.0.1:8080")
    URI gateway;

    @Option(names = "--rate", defaultValue = "1000", description = "calls per second (default: ${DEFAULT-VALUE})")
    int rate;

    @Option(names = "--duration", defaultValue = "10s", converter = DurationConverter.class,
            description = "how long to call (default: ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--burst", defaultValue = "0",
            description = "after the timed calls, this many calls at once through the gateway (default: none)")
    int burst;

    @Option(names = "--pipelined-burst", defaultValue = "0",
            description = "after the burst, this many calls at once, --pipeline-depth per connection (default: none)")
    int pipelinedBurst;

    @Option(names = "--pipeline-depth", defaultValue = "3",
            description = "calls written at once on each connection of the pipelined burst (default: ${DEFAULT-VALUE})")
    int pipelineDepth;

    private final AtomicInteger connected = new AtomicInteger();
    /** Why attempts to connect failed, by reason, since the last report. */
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();

    @Override
    public Integer call() throws Exception {
        Logging.quiet();
        CertificateAuthority ca = CertificateAuthority.load(pki);
        long started = System.nanoTime();
        List<Identity> identities = IntStream.range(0, clients).parallel()
                .mapToObj(i -> ca.issue(name(i), Role.CLIENT, List.of(), List.of(), Duration.ofDays(1))).toList();
        out().printf("issued %d client certificates in %.1f s%n", clients, seconds(started));

        EventLoopGroup loops = EventLoops.create("load", Runtime.getRuntime().availableProcessors());
        HandlerDispatcher dispatcher = new HandlerDispatcher(BuiltinHandlers.register(new Handlers(), "client"));
        PipeMetrics metrics = PipeMetrics.discarding();
        CountDownLatch allUp = new CountDownLatch(clients);
        PipeListener listener = new PipeListener() {
            @Override
            public void connected(PeerInfo peer) {
                connected.incrementAndGet();
                allUp.countDown();
            }

            @Override
            public void disconnected(PeerInfo peer, String reason) {
                connected.decrementAndGet();
            }

            @Override
            public void connectFailed(int attempt, Instant failingSince, Throwable cause) {
                failures.computeIfAbsent(reason(cause), key -> new LongAdder()).increment();
            }
        };
        // TLS contexts first (the slow part of setting up a client), so the clock below times the server.
        List<PipeClient> pipes = IntStream.range(0, clients).parallel().mapToObj(i -> new PipeClient(
                InetSocketAddress.createUnresolved(server.getHostString(), server.getPort()), PipeSettings.defaults(),
                TlsMaterial.fixed(TlsContexts.client(identities.get(i), List.of(ca.certificate()))), dispatcher, listener, metrics,
                BodyMemory.unlimited(), loops)
                .localAddress(sourceAddress(i))).toList();
        out().printf("prepared %d clients in %.1f s%n", clients, seconds(started));
        started = System.nanoTime();
        pipes.forEach(PipeClient::start);
        allUp.await();
        out().printf("all %d pipes connected in %.1f s%n", clients, seconds(started));
        if (gateway != null) {
            try (GatewayCaller http = new GatewayCaller(loops, gateway)) {
                callAtFixedRate(http, false); // warm-up of the JIT on both sides, not reported
                callAtFixedRate(http, true);
            }
            // Each burst on its own connections, closed after it: open files are the limit here.
            if (burst > 0) {
                try (GatewayCaller http = new GatewayCaller(loops, gateway)) {
                    callAllAtOnce(http, burst, 1);
                }
            }
            if (pipelinedBurst > 0) {
                try (GatewayCaller http = new GatewayCaller(loops, gateway)) {
                    callAllAtOnce(http, pipelinedBurst, pipelineDepth);
                }
            }
        }
        watchReconnects();
        return 0;
    }

    /**
     * Calls random clients at {@code rate} per second. Each latency counts from the moment the call was due, not
     * from when it was sent, so a caller falling behind shows in the figures instead of hiding them.
     */
    private void callAtFixedRate(GatewayCaller http, boolean report) throws InterruptedException {
        int total = (int) (rate * duration.toSeconds());
        long[] latencies = new long[total];
        AtomicInteger done = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        CountDownLatch finished = new CountDownLatch(total);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        AtomicInteger sent = new AtomicInteger();
        long periodNanos = 1_000_000_000L / rate;
        long firstDue = System.nanoTime();
        ticker.scheduleAtFixedRate(() -> {
            int index = sent.getAndIncrement();
            if (index >= total) {
                return;
            }
            long due = firstDue + index * periodNanos;
            String target = name(ThreadLocalRandom.current().nextInt(clients));
            http.get("/client/" + target + "/time", Duration.ofSeconds(30)).whenComplete((status, error) -> {
                latencies[index] = System.nanoTime() - due;
                if (error != null || status != 200) {
                    failed.incrementAndGet();
                }
                done.incrementAndGet();
                finished.countDown();
            });
        }, 0, periodNanos, TimeUnit.NANOSECONDS);
        finished.await(duration.toSeconds() + 60, TimeUnit.SECONDS);
        ticker.shutdownNow();
        if (!report) {
            return;
        }
        long[] sorted = Arrays.copyOf(latencies, done.get());
        Arrays.sort(sorted);
        out().printf("calls: %d at %d/s to random clients, %d failed, p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                done.get(), rate, failed.get(), percentile(sorted, 50), percentile(sorted, 99),
                sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6);
    }

    /**
     * Sends {@code count} calls at once, {@code depth} on each connection (pipelined when more than one), and counts
     * how each ended: answered, refused (503), other, or hung.
     */
    private void callAllAtOnce(GatewayCaller http, int count, int depth) throws InterruptedException {
        Duration hangsAfter = Duration.ofSeconds(60);
        List<CompletableFuture<Integer>> calls = new ArrayList<>(count);
        long started = System.nanoTime();
        for (int sent = 0; sent < count; sent += depth) {
            List<String> paths = IntStream.range(0, Math.min(depth, count - sent))
                    .mapToObj(i -> "/client/" + name(ThreadLocalRandom.current().nextInt(clients)) + "/time").toList();
            calls.addAll(depth == 1 ? List.of(http.get(paths.get(0), hangsAfter))
                    : http.getPipelined(paths, hangsAfter));
        }
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        AtomicInteger hung = new AtomicInteger();
        Map<String, LongAdder> errors = new ConcurrentHashMap<>();
        CountDownLatch finished = new CountDownLatch(count);
        calls.forEach(call -> call.whenComplete((status, error) -> {
            if (error instanceof TimeoutException) {
                hung.incrementAndGet();
            } else if (error != null) {
                other.incrementAndGet();
                errors.computeIfAbsent(reason(error), key -> new LongAdder()).increment();
            } else if (status == 200) {
                ok.incrementAndGet();
            } else if (status == 503) {
                refused.incrementAndGet();
            } else {
                other.incrementAndGet();
            }
            finished.countDown();
        }));
        finished.await(120, TimeUnit.SECONDS);
        out().printf("burst: %d calls at once, %d per connection: %d answered 200, %d refused 503, %d other errors, "
                + "%d hung (60 s), %d never finished, in %.1f s%n", count, depth, ok.get(), refused.get(),
                other.get(), hung.get(), finished.getCount(), seconds(started));
        printByReason(errors, "calls failed");
    }

    /** Reports, forever, each time all pipes are connected again after some went down. */
    private void watchReconnects() throws InterruptedException {
        long downSince = -1;
        while (true) {
            int now = connected.get();
            if (now < clients && downSince < 0) {
                downSince = System.nanoTime();
                out().printf("pipes dropped: %d of %d connected%n", now, clients);
            } else if (now >= clients && downSince >= 0) {
                // The wall clock too, so a script can time from its own kill: the drop is noticed here only once
                // this JVM gets round to it, which under load can be a second or more after the fact.
                out().printf("all %d pipes connected again after %.1f s (at epoch ms %d)%n", clients,
                        seconds(downSince), System.currentTimeMillis());
                printByReason(failures, "failed attempts");
                downSince = -1;
            }
            TimeUnit.MILLISECONDS.sleep(50); // a coarse watch over a counter; nothing else to wait on
        }
    }

    /** Prints each reason's count, most frequent first, as "  N {@code what}: reason", and starts counting afresh. */
    private void printByReason(Map<String, LongAdder> byReason, String what) {
        Map<String, Long> counts = new TreeMap<>();
        byReason.forEach((reason, count) -> counts.put(reason, count.sumThenReset()));
        counts.entrySet().stream().filter(entry -> entry.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(entry -> out().printf("  %d %s: %s%n", entry.getValue(), what, entry.getKey()));
    }

    /** The innermost message of a failure, without the addresses and numbers that make every one unique. */
    private static String reason(Throwable cause) {
        Throwable root = Failures.rootCause(cause);
        String message = root.getMessage() == null ? "" : ": " + root.getMessage();
        return (root.getClass().getSimpleName() + message).replaceAll("[0-9./:]+:[0-9]+", "ADDRESS");
    }

    private InetAddress sourceAddress(int index) {
        try {
            return InetAddress.getByName("127.0.0." + (2 + index % sources));
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String name(int index) {
        return "load-" + index;
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    private static double percentile(long[] sorted, int percent) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = Math.min(sorted.length - 1, (int) Math.ceil(percent / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, index)] / 1e6;
    }
}
