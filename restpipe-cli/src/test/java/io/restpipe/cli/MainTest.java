package io.restpipe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.restpipe.OpensslAccess;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line's answers to good and bad input, in-process. */
class MainTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(Map<String, String> env, String... args) {
        return Main.run(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private int run(String... args) {
        return run(Map.of(), args);
    }

    @BeforeEach
    void makePki() {
        assertThat(run("pki", "init", "--dir", dir.toString())).isZero();
        assertThat(run("pki", "issue", "--dir", dir.toString(), "--name", "server", "--server")).isZero();
        assertThat(run("pki", "issue", "--dir", dir.toString(), "--name", "edge-1", "--client")).isZero();
        out.getBuffer().setLength(0);
    }

    private String[] serverTls() {
        return new String[] {"--cert", dir.resolve("server.crt.pem").toString(), "--key",
                dir.resolve("server.key.pem").toString(), "--ca", dir.resolve("ca.crt.pem").toString()};
    }

    private void assertOneLineUsageError(int exit, String expected) {
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).startsWith("restpipe: ").contains(expected);
        assertThat(err.toString().strip().lines()).hasSize(1);
        assertThat(err.toString()).doesNotContain("\tat ");
    }

    @Test
    void pkiIssuesFilesThatOpensslVerifies() throws Exception {
        assertThat(Files.exists(dir.resolve("ca.key.pem"))).isTrue();
        assertThat(OpensslAccess.run(dir, "verify", "-CAfile", "ca.crt.pem", "server.crt.pem", "edge-1.crt.pem"))
                .contains("server.crt.pem: OK", "edge-1.crt.pem: OK");
        assertThat(OpensslAccess.run(dir, "x509", "-in", "server.crt.pem", "-noout", "-ext", "subjectAltName"))
                .contains("DNS:localhost", "IP Address:127.0.0.1");
        assertThat(run("pki", "issue", "--dir", dir.toString(), "--name", "pipe", "--server", "--dns", "pipe.example",
                "--ip", "10.1.2.3", "--days", "30")).isZero();
        assertThat(out.toString()).contains("pipe.example, 10.1.2.3");
        assertThat(OpensslAccess.run(dir, "x509", "-in", "pipe.crt.pem", "-noout", "-ext", "subjectAltName"))
                .contains("DNS:pipe.example", "IP Address:10.1.2.3").doesNotContain("localhost");
    }

    @Test
    void pkiInitRefusesToOverwriteACa() {
        assertOneLineUsageError(run("pki", "init", "--dir", dir.toString()), "already exists");
    }

    @Test
    void pkiIssueNeedsExactlyOneRoleAndAValidName() {
        assertThat(run("pki", "issue", "--dir", dir.toString(), "--name", "x")).isEqualTo(2);
        err.getBuffer().setLength(0);
        assertOneLineUsageError(run("pki", "issue", "--dir", dir.toString(), "--name", "../evil", "--client"),
                "must be letters");
        err.getBuffer().setLength(0);
        assertOneLineUsageError(run("pki", "issue", "--dir", dir.toString(), "--name", "s", "--server", "--ip",
                "not-an-ip"), "is not an IP address");
        err.getBuffer().setLength(0);
        assertOneLineUsageError(run("pki", "issue", "--dir", dir.resolve("nowhere").toString(), "--name", "s",
                "--client"), "file not found");
    }

    @Test
    void pkiIssueRefusesToReplaceAnIdentityWithoutForce() throws Exception {
        String key = Files.readString(dir.resolve("edge-1.key.pem"));
        assertOneLineUsageError(run("pki", "issue", "--dir", dir.toString(), "--name", "edge-1", "--client"),
                "already exists: a new key would lock out whoever uses the old one; add --force");
        assertThat(Files.readString(dir.resolve("edge-1.key.pem"))).isEqualTo(key);
        assertThat(run("pki", "issue", "--dir", dir.toString(), "--name", "edge-1", "--client", "--force")).isZero();
        assertThat(Files.readString(dir.resolve("edge-1.key.pem"))).isNotEqualTo(key);
    }

    @Test
    void pkiRevokeWritesACrlThatOpensslReads() throws Exception {
        assertThat(OpensslAccess.run(dir, "crl", "-in", "crl.pem", "-noout", "-text")).contains("No Revoked Certificates");
        assertThat(run("pki", "revoke", "--dir", dir.toString(), "--name", "edge-1")).isZero();
        String serial = OpensslAccess.run(dir, "x509", "-in", "edge-1.crt.pem", "-noout", "-serial").strip()
                .replace("serial=", "");
        assertThat(out.toString()).contains("revoked every certificate of edge-1", "now lists 1 certificate(s)");
        String crl = OpensslAccess.run(dir, "crl", "-in", "crl.pem", "-CAfile", "ca.crt.pem", "-noout", "-text");
        assertThat(crl.toUpperCase()).contains("SERIAL NUMBER: " + serial.toUpperCase().replaceFirst("^0+", ""));
        assertThat(run("pki", "revoke", "--dir", dir.toString(), "--serial", "ab:cd")).isZero();
        assertThat(OpensslAccess.run(dir, "crl", "-in", "crl.pem", "-noout", "-text")).contains("ABCD");
        assertOneLineUsageError(run("pki", "revoke", "--dir", dir.toString(), "--name", "nobody"), "does not exist");
    }

    @Test
    void pkiTokenPrintsTheTokenAloneOnOneLine() {
        assertThat(run("pki", "token", "--dir", dir.toString(), "--name", "edge-2", "--ttl", "10m")).isZero();
        assertThat(out.toString().strip().lines()).hasSize(1).allMatch(line -> line.matches("rpe_[0-9a-f]{48}"));
        assertOneLineUsageError(run("pki", "token", "--dir", dir.resolve("nowhere").toString(), "--name", "x"),
                "holds no CA");
    }

    @Test
    void aBadAclGatewayAuthOrCrlFileIsAOneLineErrorNamingIt() throws Exception {
        Path acl = Files.writeString(dir.resolve("acl.toml"), "mode = \"strict\"\n");
        assertOneLineUsageError(run(concat(new String[] {"server", "--acl", acl.toString()}, serverTls())),
                "access policy (--acl) " + acl + ": mode must be \"enforce\" or \"shadow\"");
        err.getBuffer().setLength(0);
        Path callers = Files.writeString(dir.resolve("callers"), "webapp s3cret\n");
        assertOneLineUsageError(run(concat(new String[] {"server", "--gateway-auth", callers.toString()}, serverTls())),
                "line 1: \"s3cret\" is not a SHA-256 in hex");
        err.getBuffer().setLength(0);
        assertOneLineUsageError(run(concat(new String[] {"server", "--crl", dir.resolve("none.pem").toString()},
                serverTls())), "revocation list (--crl) " + dir.resolve("none.pem") + " does not exist");
    }

    @Test
    void unknownOptionIsAOneLineUsageError() {
        assertOneLineUsageError(run("server", "--bogus"), "Unknown option: '--bogus'");
    }

    @Test
    void missingTlsFilesAreNamed() {
        assertOneLineUsageError(run("server"), "missing required option(s): --cert, --key, --ca");
    }

    @Test
    void unreadableOrMismatchedFilesAreNamed() {
        String[] tls = serverTls();
        tls[1] = dir.resolve("missing.crt.pem").toString();
        assertOneLineUsageError(run(concat(new String[] {"server"}, tls)), "file not found: " + tls[1]);
        err.getBuffer().setLength(0);
        tls = serverTls();
        tls[3] = dir.resolve("edge-1.key.pem").toString();
        assertOneLineUsageError(run(concat(new String[] {"server"}, tls)), "does not match certificate");
    }

    @Test
    void badDurationAndAddressAreUsageErrors() {
        assertOneLineUsageError(run(concat(new String[] {"server", "--event-timeout", "soon"}, serverTls())),
                "'soon' is not a duration");
        err.getBuffer().setLength(0);
        assertOneLineUsageError(run(concat(new String[] {"server", "--pipe-listen", "nowhere"}, serverTls())),
                "'nowhere' is not HOST:PORT");
        err.getBuffer().setLength(0);
        assertOneLineUsageError(run(concat(new String[] {"client", "--server", "host:99999"}, serverTls())),
                "outside 0-65535");
    }

    @Test
    void portAlreadyInUseIsAOneLineError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            assertOneLineUsageError(run(concat(new String[] {"server", "--pipe-listen", address, "--http",
                    "127.0.0.1:0"}, serverTls())), "cannot listen for the pipe on " + address);
        }
    }

    @Test
    void environmentVariablesSetOptions() {
        assertOneLineUsageError(run(Map.of("RESTPIPE_EVENT_TIMEOUT", "later"), concat(new String[] {"server"},
                serverTls())), "'later' is not a duration");
    }

    @Test
    void argumentFileServesAsAConfigFile() throws Exception {
        Path args = Files.writeString(dir.resolve("server.args"), String.join("\n", serverTls())
                + "\n--event-timeout\nnever\n");
        assertOneLineUsageError(run("server", "@" + args), "'never' is not a duration");
    }

    @Test
    void versionAndHelpAnswer() {
        assertThat(run("--version")).isZero();
        assertThat(out.toString()).startsWith("restpipe 0.1.0");
        out.getBuffer().setLength(0);
        assertThat(run("help", "server")).isZero();
        assertThat(out.toString()).contains("--pipe-listen", "--heartbeat-interval", "default: 5s");
        out.getBuffer().setLength(0);
        assertThat(run()).isZero();
        assertThat(out.toString()).contains("dev", "server", "client", "pki");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = new String[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
