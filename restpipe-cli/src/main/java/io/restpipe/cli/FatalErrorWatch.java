package io.restpipe.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.restpipe.FatalErrors;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Makes every {@link Error} fatal, wherever it surfaces: one no thread caught, and one that a library caught and
 * only logged (Netty logs what a task or a listener threw and carries on), which this sees as a log event carrying
 * an {@code Error}. Either way {@link FatalErrors} logs it and ends the process with exit code 1.
 */
final class FatalErrorWatch extends TurboFilter {
    FatalErrorWatch() {
    }

    /** Installs the watch for the whole process: uncaught errors and logged ones. */
    static void install() {
        Thread.setDefaultUncaughtExceptionHandler((thread, failure) -> {
            FatalErrors.check(failure);
            System.err.println("restpipe: uncaught on thread " + thread.getName() + ": " + failure);
        });
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logs) {
            FatalErrorWatch watch = new FatalErrorWatch();
            watch.setContext(logs);
            watch.start();
            logs.addTurboFilter(watch);
        }
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
                              Throwable thrown) {
        // Libraries report what they swallowed at WARN or ERROR; a DEBUG line may carry an Error they handled.
        if (level == null || !level.isGreaterOrEqual(Level.WARN)) {
            return FilterReply.NEUTRAL;
        }
        if (thrown != null) {
            FatalErrors.check(thrown);
        } else if (params != null && params.length > 0 && params[params.length - 1] instanceof Throwable last) {
            FatalErrors.check(last);
        }
        return FilterReply.NEUTRAL;
    }
}
