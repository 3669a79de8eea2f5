package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Identities made with the openssl command line (SEC1 EC and PKCS#1 RSA keys) work on the pipe. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OpensslIdentityTest {
    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    @TempDir
    Path dir;

    @Test
    void pipeRunsOnCertificatesAndKeysMadeWithOpenssl() throws Exception {
        OpensslAccess.run(dir, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key.pem");
        OpensslAccess.run(dir, "req", "-x509", "-new", "-key", "ca.key.pem", "-subj", "/CN=openssl CA", "-days", "2",
                "-out", "ca.crt.pem");
        // Server: SEC1 "EC PRIVATE KEY", SANs from an extension file.
        OpensslAccess.run(dir, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "server.key.pem");
        OpensslAccess.run(dir, "req", "-new", "-key", "server.key.pem", "-subj", "/CN=server", "-out", "server.csr");
        Files.writeString(dir.resolve("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        OpensslAccess.run(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt.pem", "-CAkey", "ca.key.pem",
                "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.crt.pem");
        // Client: PKCS#1 "RSA PRIVATE KEY".
        OpensslAccess.run(dir, "genrsa", "-traditional", "-out", "client.key.pem", "2048");
        OpensslAccess.run(dir, "req", "-new", "-key", "client.key.pem", "-subj", "/CN=openssl-client", "-out",
                "client.csr");
        OpensslAccess.run(dir, "x509", "-req", "-in", "client.csr", "-CA", "ca.crt.pem", "-CAkey", "ca.key.pem",
                "-CAcreateserial", "-days", "2", "-out", "client.crt.pem");
        assertThat(Files.readString(dir.resolve("server.key.pem"))).startsWith("-----BEGIN EC PRIVATE KEY-----");
        assertThat(Files.readString(dir.resolve("client.key.pem"))).startsWith("-----BEGIN RSA PRIVATE KEY-----");

        RestPipeServer server = fixture.startServer(fixture.serverBuilder()
                .tls(dir.resolve("server.crt.pem"), dir.resolve("server.key.pem"), dir.resolve("ca.crt.pem")));
        RestPipeClient client = fixture.startClient(RestPipeClient.builder()
                .tls(dir.resolve("client.crt.pem"), dir.resolve("client.key.pem"), dir.resolve("ca.crt.pem"))
                .server(InetSocketAddress.createUnresolved("localhost", server.pipeAddress().getPort()))
                .httpListen(null)
                .settings(fixture.settings()));

        assertThat(client.call(PipeEvent.of("GET", "cat", "open", "ssl")).get(10, TimeUnit.SECONDS).bodyText())
                .isEqualTo("{\"result_from_server\":\"openssl\"}");
        assertThat(server.connectedClients()).containsExactly("openssl-client");
    }
}
