package io.restpipe.internal.link;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ReconnectPolicyTest {
    private static final boolean REFUSED = true;
    private static final boolean TIMED_OUT = false;

    private final ReconnectPolicy policy = new ReconnectPolicy();
    private final Instant start = Instant.parse("2026-11-25T00:00:00Z");

    @Test
    void refusalsInTheFirstMinuteComeOneToTwoSecondsApartAndDoNotGrowTheBackoff() {
        for (int attempt = 0; attempt < 25; attempt++) {
            assertThat(policy.afterFailedAttempt(REFUSED, start.plusSeconds(2L * attempt)).toMillis())
                    .as("refusal %d", attempt).isBetween(1_000L, 2_000L);
        }
        // The restarted server is listening now, but too busy to finish this handshake in time.
        assertThat(policy.afterFailedAttempt(TIMED_OUT, start.plusSeconds(55)).toMillis()).isBetween(100L, 200L);
        assertThat(policy.failedAttempts()).isEqualTo(26);
        assertThat(policy.failingSince()).isEqualTo(start);
    }

    @Test
    void refusalsPastTheFirstMinuteBackOffLikeOtherFailures() {
        policy.afterFailedAttempt(REFUSED, start);
        long ceiling = 200;
        for (int attempt = 0; attempt < 8; attempt++) {
            assertThat(policy.afterFailedAttempt(REFUSED, start.plusSeconds(61 + attempt)).toMillis())
                    .as("refusal %d past the minute", attempt).isBetween(ceiling / 2, ceiling);
            ceiling *= 2;
        }
    }

    @Test
    void aPipeUpEndsTheOutageAndTheBackoffStartsOver() {
        for (int attempt = 0; attempt < 8; attempt++) {
            policy.afterFailedAttempt(TIMED_OUT, start.plusSeconds(attempt));
        }
        policy.pipeUp();
        assertThat(policy.failedAttempts()).isZero();
        assertThat(policy.failingSince()).isNull();
        assertThat(policy.afterFailedAttempt(TIMED_OUT, start.plusSeconds(100)).toMillis()).isBetween(100L, 200L);
    }

    @Test
    void pipesThatKeepEndingSoonAfterConnectingWaitLongerEachTimeUntilOneLasts() {
        long ceiling = 200;
        for (int pipe = 0; pipe < 6; pipe++) {
            assertThat(policy.afterPipeEnded(Duration.ofSeconds(2)).toMillis()).as("short pipe %d", pipe)
                    .isBetween(ceiling / 2, ceiling);
            ceiling *= 2;
        }
        assertThat(policy.afterPipeEnded(ReconnectPolicy.STABLE_AFTER).toMillis()).isBetween(100L, 200L);
    }
}
