package io.restpipe.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * The logs' default set-up, in code: timestamped lines on standard error, Netty's own logs from WARN up. Logback
 * would otherwise parse an XML file with the JDK's XML parser, a quarter of a second of every start-up. A file given
 * with {@code -Dlogback.configurationFile}, or a {@code logback.xml} or {@code logback-test.xml} on the class path (an
 * application embedding RestPipe has its own), still wins.
 */
public final class ConsoleLogConfigurator extends ContextAwareBase implements Configurator {
    private static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        ClassLoader classPath = ConsoleLogConfigurator.class.getClassLoader();
        if (System.getProperty("logback.configurationFile") != null
                || classPath.getResource("logback.xml") != null || classPath.getResource("logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        context.getLogger("io.netty").setLevel(Level.WARN);
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stderr);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
