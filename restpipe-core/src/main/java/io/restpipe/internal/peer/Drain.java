package io.restpipe.internal.peer;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/** Waits, on shutdown, for the calls in flight on some pipes to finish. */
final class Drain {
    private static final long POLL_NANOS = Duration.ofMillis(20).toNanos();

    private Drain() {
    }

    /** Returns once no session has a call in flight, or when {@code timeout} has passed. */
    static void await(Supplier<Collection<Peer>> sessions, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        // Polling is fine here: it runs once, at shutdown, for at most the drain timeout.
        while (System.nanoTime() < deadline && sessions.get().stream().anyMatch(s -> s.calls().inFlight() > 0)) {
            LockSupport.parkNanos(POLL_NANOS);
        }
    }
}
