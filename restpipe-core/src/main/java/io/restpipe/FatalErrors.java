package io.restpipe;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens when an {@link Error} ({@link OutOfMemoryError}, {@link StackOverflowError}, ...) turns up on any
 * thread: after one, a thread or a buffer pool may be half-dead, so the process must not go on serving as if
 * nothing happened. By default the error is logged and the process halts with exit code 1, for its supervisor to
 * restart it; an embedding application may install its own action. Thread-safe.
 */
public final class FatalErrors {
    private static final Logger log = LoggerFactory.getLogger(FatalErrors.class);
    private static volatile Consumer<Error> action = FatalErrors::logAndHalt;
    private static final AtomicBoolean handling = new AtomicBoolean();

    private FatalErrors() {
    }

    /** Replaces what a fatal error does (the default logs it and halts the process with exit code 1). */
    public static void onFatal(Consumer<Error> whatToDo) {
        action = Objects.requireNonNull(whatToDo);
    }

    /** Hands {@code failure} to the fatal action if it is, or was caused by, an {@link Error}; else does nothing. */
    public static void check(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof Error error) {
                // The first error decides; the action's own log line (which carries the error) must not recurse.
                if (handling.compareAndSet(false, true)) {
                    try {
                        action.accept(error);
                    } finally {
                        handling.set(false);
                    }
                }
                return;
            }
            if (cause.getCause() == cause) {
                return;
            }
        }
    }

    /** The default action: logs {@code error} and halts the process with exit code 1. */
    public static void logAndHalt(Error error) {
        try {
            log.error("fatal: {} on thread {}; exiting (exit code 1) so that a supervisor restarts the process",
                    error, Thread.currentThread().getName(), error);
        } finally {
            Runtime.getRuntime().halt(1);
        }
    }
}
