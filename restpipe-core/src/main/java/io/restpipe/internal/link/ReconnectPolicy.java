package io.restpipe.internal.link;

import java.time.Duration;
import java.time.Instant;

/**
 * When a client dials again. Failed attempts back off exponentially (about 0.2 s doubling up to 30 s, jittered),
 * starting over once a pipe is up. A refused connection means the server's host is up and nothing listens yet,
 * typically a server restarting: for the first minute of an outage such attempts come 1 to 2 s apart and do not
 * count towards the backoff, so the pipes are back within moments of the server and a later timeout against the
 * busy, restarted server does not wait as if all those refusals had been failures. A pipe that ends within
 * {@link #STABLE_AFTER} of connecting waits longer each time (flapping, e.g. two clients with one name displacing
 * each other). Not thread-safe; the client uses it from one event loop at a time.
 */
public final class ReconnectPolicy {
    static final Duration STABLE_AFTER = Duration.ofSeconds(30);
    static final Duration REFUSED_RETRY_CAP = Duration.ofSeconds(2);
    static final Duration REFUSED_RETRY_WINDOW = Duration.ofMinutes(1);
    private static final Duration FIRST = Duration.ofMillis(200);
    private static final Duration CAP = Duration.ofSeconds(30);

    private final Backoff afterFailures = new Backoff(FIRST, CAP);
    private final Backoff afterShortPipes = new Backoff(FIRST, CAP);
    private Instant failingSince;
    private int failedAttempts;

    /** A pipe is up: the outage is over. */
    public void pipeUp() {
        afterFailures.reset();
        failingSince = null;
        failedAttempts = 0;
    }

    /** The delay before dialing again after a pipe that was up for {@code lasted} ended. */
    public Duration afterPipeEnded(Duration lasted) {
        if (lasted.compareTo(STABLE_AFTER) >= 0) {
            afterShortPipes.reset();
        }
        return afterShortPipes.next();
    }

    /** Records a failed attempt at {@code now} and returns the delay before the next one. */
    public Duration afterFailedAttempt(boolean refused, Instant now) {
        failedAttempts++;
        if (failingSince == null) {
            failingSince = now;
        }
        boolean restarting = refused && Duration.between(failingSince, now).compareTo(REFUSED_RETRY_WINDOW) < 0;
        return restarting ? Backoff.upperHalf(REFUSED_RETRY_CAP) : afterFailures.next();
    }

    public int failedAttempts() {
        return failedAttempts;
    }

    /** When the current outage began, or {@code null} while a pipe is up or none was tried yet. */
    public Instant failingSince() {
        return failingSince;
    }
}
