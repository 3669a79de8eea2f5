package io.restpipe.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Switches the logs between their normal and verbose level. */
public final class Logging {
    private Logging() {
    }

    /**
     * Only errors, for the load tool: its thousands of pipes would flood the log with a warning per failed
     * reconnect (it counts those and prints a summary instead).
     */
    public static void quiet() {
        ((Logger) LoggerFactory.getLogger("io.restpipe")).setLevel(Level.ERROR);
    }

    static void verbose(boolean debug) {
        if (debug) {
            ((Logger) LoggerFactory.getLogger("io.restpipe")).setLevel(Level.DEBUG);
        }
    }
}
