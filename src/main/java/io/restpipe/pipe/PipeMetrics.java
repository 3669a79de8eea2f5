package io.restpipe.pipe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** The pipe's Micrometer meters, registered once per server or client. Thread-safe. */
public final class PipeMetrics {
    private final MeterRegistry registry;
    private final AtomicInteger pipesConnected = new AtomicInteger();
    private final AtomicInteger eventsInFlight = new AtomicInteger();
    private final Counter connects;
    private final Counter connectFailures;
    private final Counter bytesIn;
    private final Counter bytesOut;
    private final Timer heartbeatRtt;

    public PipeMetrics(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("restpipe.pipes.connected", pipesConnected);
        registry.gauge("restpipe.events.in.flight", eventsInFlight);
        connects = Counter.builder("restpipe.connects").description("pipes established").register(registry);
        connectFailures = Counter.builder("restpipe.connect.failures")
                .description("failed attempts to establish a pipe").register(registry);
        bytesIn = Counter.builder("restpipe.pipe.bytes").tag("direction", "in").baseUnit("bytes").register(registry);
        bytesOut = Counter.builder("restpipe.pipe.bytes").tag("direction", "out").baseUnit("bytes").register(registry);
        heartbeatRtt = Timer.builder("restpipe.heartbeat.rtt").description("heartbeat round-trip time")
                .register(registry);
    }

    /** Meters that go nowhere, for pipes built without a registry (tests, embedding). */
    public static PipeMetrics discarding() {
        return new PipeMetrics(new SimpleMeterRegistry());
    }

    public MeterRegistry registry() {
        return registry;
    }

    void pipeUp() {
        connects.increment();
        pipesConnected.incrementAndGet();
    }

    void pipeDown() {
        pipesConnected.decrementAndGet();
    }

    void connectFailed() {
        connectFailures.increment();
    }

    void bytesIn(long count) {
        bytesIn.increment(count);
    }

    void bytesOut(long count) {
        bytesOut.increment(count);
    }

    void heartbeatRtt(Duration rtt) {
        heartbeatRtt.record(rtt);
    }

    void callStarted() {
        eventsInFlight.incrementAndGet();
    }

    void eventSent(String verb, int code, long latencyNanos) {
        eventsInFlight.decrementAndGet();
        Counter.builder("restpipe.events.sent").tag("verb", verb).tag("code", String.valueOf(code))
                .register(registry).increment();
        Timer.builder("restpipe.event.latency").description("time from sending an event to its reply")
                .publishPercentileHistogram()
                .register(registry).record(latencyNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void eventFailed(String verb, String outcome) {
        eventsInFlight.decrementAndGet();
        Counter.builder("restpipe.events.failed").tag("verb", verb).tag("outcome", outcome)
                .register(registry).increment();
    }

    void eventReceived(String verb, int code) {
        Counter.builder("restpipe.events.received").tag("verb", verb).tag("code", String.valueOf(code))
                .register(registry).increment();
    }
}
