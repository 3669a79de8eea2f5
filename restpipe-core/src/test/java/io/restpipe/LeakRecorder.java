package io.restpipe;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A Logback appender that keeps every leak report of Netty's leak detector, for {@link NoLeaksExtension}. */
public final class LeakRecorder extends AppenderBase<ILoggingEvent> {
    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    @Override
    protected void append(ILoggingEvent event) {
        if (event.getFormattedMessage().contains("LEAK:")) {
            LEAKS.add(event.getFormattedMessage());
        }
    }

    /** The reports since the last call, so each test class answers for its own leaks only. */
    static List<String> drain() {
        List<String> reports = List.copyOf(LEAKS);
        LEAKS.removeAll(reports);
        return reports;
    }
}
