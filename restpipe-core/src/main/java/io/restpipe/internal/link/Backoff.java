package io.restpipe.internal.link;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential reconnect delays with jitter: about {@code first}, doubling per failure, never above {@code cap},
 * each drawn at random from the upper half of its range so that many clients do not retry in step.
 * Not thread-safe; the client uses it from its event loop.
 */
final class Backoff {
    private final long firstMillis;
    private final long capMillis;
    private int failures;

    Backoff(Duration first, Duration cap) {
        this.firstMillis = first.toMillis();
        this.capMillis = cap.toMillis();
    }

    /** The delay before the next attempt, which counts as one more failure. */
    Duration next() {
        long ceiling = Math.min(capMillis, firstMillis << Math.min(failures, 20));
        failures++;
        return upperHalf(ceiling);
    }

    /** A delay drawn at random between half of {@code ceiling} and all of it. */
    static Duration upperHalf(Duration ceiling) {
        return upperHalf(ceiling.toMillis());
    }

    private static Duration upperHalf(long ceilingMillis) {
        return Duration.ofMillis(ceilingMillis / 2 + ThreadLocalRandom.current().nextLong(ceilingMillis / 2 + 1));
    }

    void reset() {
        failures = 0;
    }
}
