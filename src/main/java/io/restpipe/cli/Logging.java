package io.restpipe.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Switches the logs between their normal and verbose level. */
final class Logging {
    private Logging() {
    }

    /** Only warnings and errors, for tools whose thousands of pipes would flood the log. */
    static void quiet() {
        ((Logger) LoggerFactory.getLogger("io.restpipe")).setLevel(Level.WARN);
    }

    static void verbose(boolean debug) {
        if (debug) {
            ((Logger) LoggerFactory.getLogger("io.restpipe")).setLevel(Level.DEBUG);
        }
    }
}
