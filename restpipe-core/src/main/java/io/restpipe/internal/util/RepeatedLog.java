package io.restpipe.internal.util;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * Logs a line at most once per interval for each kind of failure, counting the ones it held back, so that a peer or
 * caller repeating the same failure thousands of times a second cannot flood the log. The first line of a kind is
 * logged at once; the next one after the interval carries the count of those suppressed in between. Thread-safe.
 */
public final class RepeatedLog {
    /**
     * Kinds counted apart; past it new kinds share one window, so a caller inventing a new kind with each request
     * (a new target name, say) still gets one line per interval.
     */
    static final int MAX_KINDS = 1_024;
    private static final String OTHER_KINDS = "\0other kinds";

    private final Logger log;
    private final Level level;
    private final long intervalNanos;
    private final LongSupplier clock;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    public RepeatedLog(Logger log, Level level, Duration interval) {
        this(log, level, interval, System::nanoTime);
    }

    RepeatedLog(Logger log, Level level, Duration interval, LongSupplier clock) {
        this.log = log;
        this.level = level;
        this.intervalNanos = interval.toNanos();
        this.clock = clock;
    }

    /**
     * Logs {@code message} unless a line of the same {@code kind} was logged within the interval, in which case it
     * is only counted.
     */
    public void log(String kind, String message) {
        long now = clock.getAsLong();
        Window window = windows.get(kind);
        if (window == null) {
            window = windows.computeIfAbsent(windows.size() < MAX_KINDS ? kind : OTHER_KINDS,
                    k -> new Window(now - intervalNanos));
        }
        long suppressed;
        synchronized (window) {
            if (now - window.loggedAt < intervalNanos) {
                window.suppressed++;
                return;
            }
            window.loggedAt = now;
            suppressed = window.suppressed;
            window.suppressed = 0;
        }
        log.atLevel(level).log(suppressed == 0 ? message
                : message + " (and " + suppressed + " more like it since the last such line)");
    }

    private static final class Window {
        long loggedAt;
        long suppressed;

        Window(long loggedAt) {
            this.loggedAt = loggedAt;
        }
    }
}
