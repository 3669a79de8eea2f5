package io.restpipe.internal.link;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private final Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30));

    @Test
    void doublesWithJitterInTheUpperHalfUpToItsCap() {
        long ceiling = 200;
        for (int attempt = 0; attempt < 12; attempt++) {
            long delay = backoff.next().toMillis();
            assertThat(delay).as("attempt %d", attempt).isBetween(ceiling / 2, ceiling);
            ceiling = Math.min(30_000, ceiling * 2);
        }
        assertThat(backoff.next().toMillis()).isBetween(15_000L, 30_000L);
    }

    @Test
    void upperHalfDrawsBetweenHalfTheCeilingAndAllOfIt() {
        for (int draw = 0; draw < 50; draw++) {
            assertThat(Backoff.upperHalf(Duration.ofSeconds(2)).toMillis()).isBetween(1_000L, 2_000L);
        }
    }

    @Test
    void resetStartsOverFromTheFirstDelay() {
        for (int attempt = 0; attempt < 10; attempt++) {
            backoff.next();
        }
        backoff.reset();
        assertThat(backoff.next().toMillis()).isBetween(100L, 200L);
    }
}
