package io.restpipe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.restpipe.FreePorts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar as users run it: separate processes, real curl, kill -9 and restarts. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BlackBoxIT {
    private static final Duration START = Duration.ofSeconds(30);
    private static final String TIME_FROM = "\\{\"time_from_%s\":\\d+\\.\\d+}";

    @TempDir
    Path dir;

    @Test
    void devPrintsCurlLinesThatAnswerExactlyLikeTheSeed() throws Exception {
        try (JarProcess dev = JarProcess.start(dir, "dev", "--pipe-listen", "127.0.0.1:0", "--server-http",
                "127.0.0.1:0", "--client-http", "127.0.0.1:0")) {
            String serverTime = dev.awaitLine("curl (http://\\S+/server/time)", START).group(1);
            String clientTime = dev.awaitLine("curl (http://\\S+/client/localhost/time)", START).group(1);
            String serverCat = dev.awaitLine("curl (http://\\S+/server/cat//hello%20/world)", START).group(1);
            String clientCat = dev.awaitLine("curl (http://\\S+/client/localhost/cat//hello%20/world)", START)
                    .group(1);

            assertThat(curl(serverTime)).matches(String.format(TIME_FROM, "server"));
            assertThat(curl(clientTime)).matches(String.format(TIME_FROM, "client"));
            assertThat(curl(serverCat)).isEqualTo("{\"result_from_server\":\"hello world\"}");
            assertThat(curl(clientCat)).isEqualTo("{\"result_from_client\":\"hello world\"}");
            assertThat(dir.resolve(".restpipe-dev/ca.crt.pem")).exists();

            assertThat(dev.terminate(Duration.ofSeconds(20))).isEqualTo(143);
        }
    }

    @Test
    void devCheckCallsEachSideOnceThroughItsGatewayAndExits() throws Exception {
        JarProcess.Result check = JarProcess.run(dir, "dev", "--check", "--pipe-listen", "127.0.0.1:0",
                "--server-http", "127.0.0.1:0", "--client-http", "127.0.0.1:0");

        assertThat(check.exitCode()).as(check.stderr()).isZero();
        assertThat(check.stdout()).containsPattern("check: GET http://\\S+/server/time -> 200 "
                + String.format(TIME_FROM, "server"));
        assertThat(check.stdout()).containsPattern("check: GET http://\\S+/client/localhost/time -> 200 "
                + String.format(TIME_FROM, "client"));
        assertThat(check.stdout()).endsWith("check: ok");
        // The logs' default set-up (ConsoleLogConfigurator): timestamped INFO lines on stderr, Netty quiet.
        assertThat(check.stderr()).containsPattern("(?m)^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  "
                + "PipeServer - pipe listener on ");
        assertThat(check.stderr()).doesNotContain("DEBUG");
    }

    @Test
    void separateServerAndClientSurviveKillNineOfTheServer() throws Exception {
        assertThat(JarProcess.run(dir, "pki", "init", "--dir", "pki").exitCode()).isZero();
        assertThat(JarProcess.run(dir, "pki", "issue", "--dir", "pki", "--name", "server", "--server").exitCode())
                .isZero();
        assertThat(JarProcess.run(dir, "pki", "issue", "--dir", "pki", "--name", "fileserver", "--client")
                .exitCode()).isZero();
        int pipePort = FreePorts.unused();
        int serverHttpPort = FreePorts.unused();
        String[] server = {"server", "--pipe-listen", "127.0.0.1:" + pipePort, "--http", "127.0.0.1:" + serverHttpPort,
                "--cert", "pki/server.crt.pem", "--key", "pki/server.key.pem", "--ca", "pki/ca.crt.pem"};

        // The client starts first and keeps retrying.
        try (JarProcess client = JarProcess.startWithTestClasses(dir, "client", "--server", "localhost:" + pipePort,
                "--http", "127.0.0.1:0", "--cert", "pki/fileserver.crt.pem", "--key", "pki/fileserver.key.pem",
                "--ca", "pki/ca.crt.pem", "--heartbeat-interval", "500ms", "--heartbeat-timeout", "2s",
                "--handler", "io.restpipe.handler.SampleHandlers")) {
            Matcher gateway = client.awaitLine("gateway on (http://127\\.0\\.0\\.1:\\d+)", START);
            String clientGateway = gateway.group(1);
            JarProcess first = JarProcess.start(dir, server);
            first.awaitLine("restpipe server: pipe on", START);

            assertThat(curlWithin(clientGateway + "/server/cat//up", Duration.ofSeconds(30)))
                    .isEqualTo("{\"result_from_server\":\"up\"}");
            String serverGateway = "http://127.0.0.1:" + serverHttpPort;
            assertThat(curlWithin(serverGateway + "/client/fileserver/cat//down", Duration.ofSeconds(30)))
                    .isEqualTo("{\"result_from_client\":\"down\"}");
            assertThat(curl(serverGateway + "/client/fileserver/greet//ann/bob")).isEqualTo("hello ann and bob");

            first.kill();
            try (JarProcess second = JarProcess.start(dir, server)) {
                second.awaitLine("restpipe server: pipe on", START);
                assertThat(curlWithin(clientGateway + "/server/cat//again", Duration.ofSeconds(30)))
                        .isEqualTo("{\"result_from_server\":\"again\"}");
                assertThat(curlWithin(serverGateway + "/client/fileserver/time", Duration.ofSeconds(30)))
                        .matches(String.format(TIME_FROM, "client"));
                assertThat(second.terminate(Duration.ofSeconds(20))).isEqualTo(143);
            }
            assertThat(client.terminate(Duration.ofSeconds(20))).isEqualTo(143);
        }
    }

    @Test
    void wrongFlagsAndBadFilesExitWith2AndOneLine() throws Exception {
        JarProcess.Result bogus = JarProcess.run(dir, "client", "--bogus");
        assertThat(bogus.exitCode()).isEqualTo(2);
        assertThat(bogus.stderr().lines()).hasSize(1).allMatch(line -> line.startsWith("restpipe: "));

        JarProcess.Result missing = JarProcess.run(dir, "server", "--cert", "no.pem", "--key", "no.pem", "--ca",
                "no.pem");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.stderr()).isEqualTo("restpipe: file not found: no.pem");

        JarProcess.Result debug = JarProcess.run(dir, "server", "--debug", "--cert", "no.pem", "--key", "no.pem",
                "--ca", "no.pem");
        assertThat(debug.stderr()).contains("\tat ");
    }

    /** One curl, as a user would type it; returns the body. */
    @Test
    void anErrorOnAnyThreadEndsTheProcessWithExitCode1AndALogLine() throws Exception {
        assertThat(JarProcess.run(dir, "pki", "init", "--dir", "pki").exitCode()).isZero();
        assertThat(JarProcess.run(dir, "pki", "issue", "--dir", "pki", "--name", "server", "--server").exitCode())
                .isZero();
        assertThat(JarProcess.run(dir, "pki", "issue", "--dir", "pki", "--name", "caller", "--client").exitCode())
                .isZero();
        int pipePort = FreePorts.unused();
        try (JarProcess server = JarProcess.startWithTestClasses(dir, "server", "--pipe-listen",
                "127.0.0.1:" + pipePort, "--http", "127.0.0.1:0", "--cert", "pki/server.crt.pem", "--key",
                "pki/server.key.pem", "--ca", "pki/ca.crt.pem", "--handler",
                "io.restpipe.handler.SampleHandlers$Exhausting");
             JarProcess client = JarProcess.start(dir, "client", "--server", "localhost:" + pipePort, "--http",
                     "127.0.0.1:0", "--cert", "pki/caller.crt.pem", "--key", "pki/caller.key.pem", "--ca",
                     "pki/ca.crt.pem")) {
            server.awaitLine("restpipe server: pipe on", START);
            String gateway = client.awaitLine("gateway on (http://127\\.0\\.0\\.1:\\d+)", START).group(1);
            assertThat(curlWithin(gateway + "/server/time", Duration.ofSeconds(30))).contains("time_from_server");

            curl(gateway + "/server/exhaust");
            // With the test classes on the class path, their logback-test.xml sends the log to standard output.
            server.awaitLine("fatal: java\\.lang\\.OutOfMemoryError: simulated for a test .*exiting \\(exit code 1\\)",
                    Duration.ofSeconds(30));
            assertThat(server.awaitExit(Duration.ofSeconds(30))).isEqualTo(1);
        }
    }

    private static String curl(String url) throws Exception {
        Process curl = new ProcessBuilder("curl", "-s", "--max-time", "20", url).start();
        String body = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return body;
    }

    /** curl until it answers 200, for calls racing a pipe that is still (re)connecting. */
    private static String curlWithin(String url, Duration wait) throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            Process curl = new ProcessBuilder("curl", "-s", "-f", "--max-time", "25", url).start();
            String body = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            curl.waitFor(30, TimeUnit.SECONDS);
            if (curl.exitValue() == 0 || System.nanoTime() > deadline) {
                return body;
            }
        }
    }
}
