package io.restpipe.internal.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.restpipe.Identity;
import io.restpipe.OpensslAccess;
import io.restpipe.internal.tls.CertificateAuthority.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PkiTest {
    private static final Duration VALIDITY = Duration.ofDays(30);

    @TempDir
    Path dir;

    @Test
    void issuedCertificatesVerifyWithOpensslAndCarryTheirNames() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("Test CA", VALIDITY);
        ca.save(dir);
        CertificateAuthority.save(ca.issue("pipe-server", Role.SERVER, List.of("localhost", "pipe.example"),
                List.of("127.0.0.1", "::1"), VALIDITY), dir, "pipe-server");
        CertificateAuthority.save(ca.issue("fileserver", Role.CLIENT, List.of(), List.of(), VALIDITY), dir,
                "fileserver");

        assertThat(OpensslAccess.run(dir, "verify", "-CAfile", "ca.crt.pem", "pipe-server.crt.pem", "fileserver.crt.pem"))
                .contains("pipe-server.crt.pem: OK").contains("fileserver.crt.pem: OK");
        String server = OpensslAccess.run(dir, "x509", "-in", "pipe-server.crt.pem", "-noout", "-text");
        assertThat(server).contains("DNS:localhost", "DNS:pipe.example", "IP Address:127.0.0.1",
                "IP Address:0:0:0:0:0:0:0:1", "TLS Web Server Authentication", "ASN1 OID: prime256v1");
        String client = OpensslAccess.run(dir, "x509", "-in", "fileserver.crt.pem", "-noout", "-subject", "-text");
        assertThat(client).contains("CN = fileserver").contains("TLS Web Client Authentication")
                .contains("ASN1 OID: prime256v1").contains("Signature Algorithm: sha256WithRSAEncryption");
        // The root is RSA: Java checks an RSA signature on a peer's certificate ~20x faster than an ECDSA one.
        assertThat(OpensslAccess.run(dir, "x509", "-in", "ca.crt.pem", "-noout", "-text"))
                .contains("Public-Key: (3072 bit)");
        assertThat(Files.readString(dir.resolve("fileserver.key.pem"))).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("fileserver.key.pem"))))
                .isEqualTo("rw-------");

        Identity loaded = Identity.load(dir.resolve("fileserver.crt.pem"), dir.resolve("fileserver.key.pem"));
        assertThat(loaded.name()).isEqualTo("fileserver");
        assertThat(CertificateAuthority.load(dir).certificate()).isEqualTo(ca.certificate());
    }

    @Test
    void keyThatDoesNotMatchItsCertificateIsRefused() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("Test CA", VALIDITY);
        CertificateAuthority.save(ca.issue("a", Role.CLIENT, List.of(), List.of(), VALIDITY), dir, "a");
        CertificateAuthority.save(ca.issue("b", Role.CLIENT, List.of(), List.of(), VALIDITY), dir, "b");
        assertThatThrownBy(() -> Identity.load(dir.resolve("a.crt.pem"), dir.resolve("b.key.pem")))
                .isInstanceOf(TlsConfigException.class)
                .hasMessage("key " + dir.resolve("b.key.pem") + " does not match certificate " + dir.resolve("a.crt.pem"));
    }

    @Test
    void missingOrMalformedFilesGetMessagesNamingThem() throws Exception {
        assertThatThrownBy(() -> PemFiles.readCertificates(dir.resolve("nope.pem")))
                .hasMessage("file not found: " + dir.resolve("nope.pem"));
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "this is not PEM\n");
        assertThatThrownBy(() -> PemFiles.readCertificates(garbage))
                .hasMessage("certificate file " + garbage + " holds no PEM certificate");
        assertThatThrownBy(() -> PemFiles.readPrivateKey(garbage))
                .hasMessage("key file " + garbage + " holds no unencrypted PEM private key");
        Path broken = Files.writeString(dir.resolve("broken.pem"),
                "-----BEGIN CERTIFICATE-----\nAAAA!!!!\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> PemFiles.readCertificates(broken)).isInstanceOf(TlsConfigException.class)
                .hasMessageContaining(broken.toString());
    }
}
