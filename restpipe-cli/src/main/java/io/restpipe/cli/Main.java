package io.restpipe.cli;

import io.netty.util.ResourceLeakDetector;
import io.restpipe.StartupException;
import io.restpipe.internal.tls.TlsConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** The {@code restpipe} command line: picocli commands wiring the server, client and PKI together. */
@Command(name = "restpipe", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A durable, mutually-authenticated TLS pipe between machines, with a local REST gateway on each.",
        subcommands = {DevCommand.class, ServerCommand.class, ClientCommand.class, PkiCommand.class,
                HelpCommand.class})
public final class Main implements Runnable {
    static final int EXIT_USAGE = 2;
    static final int EXIT_FAILURE = 1;

    public static void main(String[] args) {
        // Netty 4.2 registers Flight Recorder events for its buffers, which loads JFR's machinery at start-up
        // (70 ms) and checks on every allocation; -Dio.netty.jfr.enabled=true brings them back. Set before any
        // Netty class reads it.
        System.getProperties().putIfAbsent("io.netty.jfr.enabled", "false");
        // Netty samples buffers for leak reports unless told otherwise; that costs a few percent of a bulk
        // transfer. The command line turns it off unless -Dio.netty.leakDetection.level asks for it.
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        FatalErrorWatch.install();
        System.exit(run(args));
    }

    /** Runs the command line against the real environment and returns its exit code. */
    static int run(String... args) {
        return run(System.getenv(), new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the command line with the given environment and output streams and returns its exit code. */
    static int run(Map<String, String> environment, PrintWriter out, PrintWriter err, String... args) {
        boolean debug = Arrays.asList(args).contains("--debug") || "1".equals(environment.get("DEBUG"));
        CommandLine commandLine = new CommandLine(new Main())
                .setOut(out)
                .setErr(err)
                .setDefaultValueProvider(new EnvironmentDefaults(environment))
                .setParameterExceptionHandler(Main::usageError)
                .setExecutionExceptionHandler((failure, cmd, parsed) -> runtimeError(failure, cmd, debug));
        return commandLine.execute(args);
    }

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    private static int usageError(ParameterException error, String[] args) {
        String command = error.getCommandLine().getCommandName();
        PrintWriter err = error.getCommandLine().getErr();
        err.println("restpipe: " + error.getMessage() + " (see 'restpipe help"
                + ("restpipe".equals(command) ? "" : " " + command) + "')");
        err.flush();
        return EXIT_USAGE;
    }

    private static int runtimeError(Exception failure, CommandLine command, boolean debug) {
        boolean usage = failure instanceof UsageError || failure instanceof TlsConfigException
                || failure instanceof StartupException || failure instanceof IllegalArgumentException;
        PrintWriter err = command.getErr();
        err.println("restpipe: " + describe(failure));
        if (debug) {
            failure.printStackTrace(err);
        }
        err.flush();
        return usage ? EXIT_USAGE : EXIT_FAILURE;
    }

    private static String describe(Throwable failure) {
        String message = failure.getMessage();
        return message == null ? failure.getClass().getSimpleName() : message;
    }

    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties properties = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {"restpipe " + properties.getProperty("version", "unknown")
                    + " (Java " + System.getProperty("java.version") + ")"};
        }
    }
}
