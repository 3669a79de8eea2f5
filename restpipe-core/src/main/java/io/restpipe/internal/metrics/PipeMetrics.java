package io.restpipe.internal.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.restpipe.PipeReply;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The pipe's Micrometer meters, registered once per server or client. Thread-safe. */
public final class PipeMetrics {
    private final MeterRegistry registry;
    private final AtomicInteger pipesConnected = new AtomicInteger();
    private final AtomicInteger eventsInFlight = new AtomicInteger();
    private final Counter connects;
    private final Counter resumedConnects;
    private final Counter connectFailures;
    private final Counter bytesIn;
    private final Counter bytesOut;
    private final Timer heartbeatRtt;
    private final Timer eventLatency;
    private static final java.util.Set<String> STANDARD_VERBS = java.util.Set.of("GET", "HEAD", "POST", "PUT", "DELETE",
            "PATCH", "OPTIONS", "TRACE", "CONNECT");
    private static final java.util.Set<Integer> KNOWN_CODES = java.util.Set.of(PipeReply.CODE_OK,
            PipeReply.CODE_HANDLER_FAILED, PipeReply.CODE_UPSTREAM_FAILED, PipeReply.CODE_REFUSED,
            PipeReply.CODE_DENIED, PipeReply.CODE_NO_HANDLER);
    /** Per-call counters by name, verb and code, looked up here instead of built anew by Micrometer each call. */
    private final Map<String, Counter> countersByTags = new ConcurrentHashMap<>();

    public PipeMetrics(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("restpipe.pipes.connected", pipesConnected);
        registry.gauge("restpipe.events.in.flight", eventsInFlight);
        connects = Counter.builder("restpipe.connects").description("pipes established").register(registry);
        resumedConnects = Counter.builder("restpipe.connects.resumed")
                .description("pipes established by resuming an earlier TLS session (no certificate exchange)")
                .register(registry);
        connectFailures = Counter.builder("restpipe.connect.failures")
                .description("failed attempts to establish a pipe").register(registry);
        bytesIn = Counter.builder("restpipe.pipe.bytes").tag("direction", "in").baseUnit("bytes").register(registry);
        bytesOut = Counter.builder("restpipe.pipe.bytes").tag("direction", "out").baseUnit("bytes").register(registry);
        heartbeatRtt = Timer.builder("restpipe.heartbeat.rtt").description("heartbeat round-trip time")
                .register(registry);
        eventLatency = Timer.builder("restpipe.event.latency").description("time from sending an event to its reply")
                .publishPercentileHistogram().register(registry);
    }

    /** Meters that go nowhere, for pipes built without a registry (tests, embedding). */
    public static PipeMetrics discarding() {
        return new PipeMetrics(new SimpleMeterRegistry());
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void pipeUp(boolean resumed) {
        connects.increment();
        if (resumed) {
            resumedConnects.increment();
        }
        pipesConnected.incrementAndGet();
    }

    public void pipeDown() {
        pipesConnected.decrementAndGet();
    }

    public void connectFailed() {
        connectFailures.increment();
    }

    public void bytesIn(long count) {
        bytesIn.increment(count);
    }

    public void bytesOut(long count) {
        bytesOut.increment(count);
    }

    public void heartbeatRtt(Duration rtt) {
        heartbeatRtt.record(rtt);
    }

    public void callStarted() {
        eventsInFlight.incrementAndGet();
    }

    public void eventSent(String verb, int code, long latencyNanos) {
        eventsInFlight.decrementAndGet();
        counter("restpipe.events.sent", "verb", verbTag(verb), "code", codeTag(code)).increment();
        eventLatency.record(latencyNanos, TimeUnit.NANOSECONDS);
    }

    public void eventFailed(String verb, String outcome) {
        eventsInFlight.decrementAndGet();
        counter("restpipe.events.failed", "verb", verbTag(verb), "outcome", outcome).increment();
    }

    public void eventReceived(String verb, int code) {
        counter("restpipe.events.received", "verb", verbTag(verb), "code", codeTag(code)).increment();
    }

    /**
     * A verb as a tag: callers may send any verb and peers any return code, and each new tag value is a new time
     * series kept for the life of the process, so values outside the usual few are counted together.
     */
    private static String verbTag(String verb) {
        return STANDARD_VERBS.contains(verb) ? verb : "OTHER";
    }

    private static String codeTag(int code) {
        return KNOWN_CODES.contains(code) ? String.valueOf(code) : "other";
    }

    private Counter counter(String name, String tag1, String value1, String tag2, String value2) {
        return countersByTags.computeIfAbsent(name + '\n' + value1 + '\n' + value2,
                key -> Counter.builder(name).tag(tag1, value1).tag(tag2, value2).register(registry));
    }
}
