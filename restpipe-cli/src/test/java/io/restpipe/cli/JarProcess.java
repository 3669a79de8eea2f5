package io.restpipe.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The packaged jar run as a separate process, with its output read line by line. */
public final class JarProcess implements AutoCloseable {
    private final Process process;
    private final BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    private final List<String> stderr = new CopyOnWriteArrayList<>();

    private final List<Thread> pumps;

    private JarProcess(Process process) {
        this.process = process;
        this.pumps = List.of(pump(process.getInputStream(), stdout::add, "stdout"),
                pump(process.getErrorStream(), stderr::add, "stderr"));
    }

    public static Path jar() {
        String jar = System.getProperty("restpipe.jar");
        if (jar == null) {
            throw new IllegalStateException("system property restpipe.jar is not set (run through mvn verify)");
        }
        return Path.of(jar);
    }

    public static JarProcess start(Path workDir, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx256m", "-jar", jar().toString()));
        command.addAll(List.of(args));
        return new JarProcess(new ProcessBuilder(command).directory(workDir.toFile()).start());
    }

    /** Like {@link #start} with core's test classes on the classpath too, for {@code --handler} classes. */
    public static JarProcess startWithTestClasses(Path workDir, String... args) throws IOException {
        String handlers = System.getProperty("restpipe.test.handlers");
        if (handlers == null) {
            throw new IllegalStateException("run by failsafe, which sets -Drestpipe.test.handlers");
        }
        String classpath = jar() + java.io.File.pathSeparator + handlers;
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx256m", "-cp", classpath,
                "io.restpipe.cli.Main"));
        command.addAll(List.of(args));
        return new JarProcess(new ProcessBuilder(command).directory(workDir.toFile()).start());
    }

    /** Runs to completion and returns exit code, stdout and stderr. */
    public static Result run(Path workDir, String... args) throws Exception {
        try (JarProcess jar = start(workDir, args)) {
            if (!jar.process.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("restpipe " + String.join(" ", args) + " did not finish");
            }
            for (Thread pump : jar.pumps) {
                pump.join(10_000);
            }
            return new Result(jar.process.exitValue(), String.join("\n", jar.drainStdout()), jar.stderr());
        }
    }

    public record Result(int exitCode, String stdout, String stderr) {
    }

    /** Waits for a stdout line matching {@code regex} and returns its match. */
    public Matcher awaitLine(String regex, Duration wait) throws InterruptedException {
        Pattern pattern = Pattern.compile(regex);
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            String line = stdout.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new AssertionError("no line matching " + regex + " within " + wait + "; stderr:\n" + stderr());
            }
            Matcher matcher = pattern.matcher(line);
            if (matcher.find()) {
                return matcher;
            }
        }
    }

    public String stderr() {
        return String.join("\n", stderr);
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook runs. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** Waits for the process to end by itself and returns its exit code. */
    public int awaitExit(Duration wait) throws InterruptedException {
        if (!process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("process still running after " + wait + "; stderr:\n" + stderr());
        }
        for (Thread pump : pumps) {
            pump.join(5_000);
        }
        return process.exitValue();
    }

    /** SIGTERM, then waits for the exit and returns its code. */
    public int terminate(Duration wait) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("process did not stop within " + wait + " of SIGTERM");
        }
        return process.exitValue();
    }

    private List<String> drainStdout() {
        List<String> lines = new ArrayList<>();
        stdout.drainTo(lines);
        return lines;
    }

    private static Thread pump(java.io.InputStream stream, java.util.function.Consumer<String> sink, String name) {
        Thread thread = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    sink.accept(line);
                }
            } catch (IOException closed) {
                // The process ended.
            }
        }, "jar-" + name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
