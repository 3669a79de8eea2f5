package io.restpipe.internal.util;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

class RepeatedLogTest {
    private final AtomicLong clock = new AtomicLong();
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final RepeatedLog log;

    RepeatedLogTest() {
        Logger logger = (Logger) LoggerFactory.getLogger("repeated-log-test-" + System.nanoTime());
        lines.start();
        logger.addAppender(lines);
        log = new RepeatedLog(logger, Level.WARN, Duration.ofSeconds(10), clock::get);
    }

    @Test
    void logsTheFirstOfAKindAtOnceAndCountsTheRestUntilTheIntervalHasPassed() {
        for (int i = 0; i < 1000; i++) {
            log.log("boom", "handler failed");
        }
        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly("handler failed");

        clock.addAndGet(Duration.ofSeconds(10).toNanos());
        log.log("boom", "handler failed");
        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly("handler failed",
                "handler failed (and 999 more like it since the last such line)");
    }

    @Test
    void kindsAreCountedApart() {
        log.log("a", "first a");
        log.log("b", "first b");
        log.log("a", "second a");
        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly("first a", "first b");
    }

    @Test
    void kindsPastTheTableShareOneWindow() {
        for (int i = 0; i < RepeatedLog.MAX_KINDS * 3; i++) {
            log.log("kind " + i, "line " + i);
        }
        assertThat(lines.list).hasSize(RepeatedLog.MAX_KINDS + 1);
        clock.addAndGet(Duration.ofSeconds(10).toNanos());
        log.log("yet another kind", "late line");
        assertThat(lines.list.get(lines.list.size() - 1).getFormattedMessage())
                .isEqualTo("late line (and " + (RepeatedLog.MAX_KINDS * 2 - 1) + " more like it since the last such line)");
    }
}
