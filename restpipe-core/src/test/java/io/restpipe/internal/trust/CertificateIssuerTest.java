package io.restpipe.internal.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.restpipe.Identity;
import io.restpipe.internal.tls.CertificateAuthority.Role;
import io.restpipe.internal.tls.CertificateAuthority;
import io.restpipe.internal.tls.CertificateRequests;
import io.restpipe.internal.tls.PemFiles;
import io.restpipe.internal.tls.Revocations;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateIssuerTest {
    @TempDir
    Path dir;

    private CertificateAuthority ca;
    private CertificateIssuer issuer;
    private final AtomicReference<Revocations> revocations = new AtomicReference<>(Revocations.none());
    private final KeyPair keys = CertificateAuthority.newLeafKeys();

    @BeforeEach
    void createCa() throws Exception {
        ca = CertificateAuthority.create("Issuer CA " + System.nanoTime(), Duration.ofDays(30));
        ca.save(dir);
        issuer = new CertificateIssuer(dir, Duration.ofHours(12), revocations::get);
    }

    @Test
    void aBadRequestDoesNotSpendTheToken() throws Exception {
        String token = new EnrolmentTokens(dir).create("edge", Duration.ofMinutes(5));
        byte[] tampered = CertificateRequests.create(keys, "edge");
        tampered[tampered.length - 1] ^= 1;
        assertThatThrownBy(() -> issuer.enrol("rpe_guess", new byte[] {1, 2, 3})).as("the token first: a stranger "
                + "costs no signature check").hasMessageContaining("unknown or was used already");
        assertThatThrownBy(() -> issuer.enrol(token, tampered)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> issuer.enrol(token, new byte[] {1, 2, 3}))
                .hasMessageContaining("not a valid PKCS#10 request");
        X509Certificate issued = issuer.enrol(token, CertificateRequests.create(keys, "edge")).get(0);
        assertThat(issued.getPublicKey()).isEqualTo(keys.getPublic());
        assertThat(Duration.between(Instant.now(), issued.getNotAfter().toInstant()))
                .isBetween(Duration.ofHours(11), Duration.ofHours(12));
        assertThat(Files.list(dir.resolve(EnrolmentTokens.DIRECTORY))).as("the token, spent").isEmpty();
    }

    @Test
    void renewalKeepsTheNameAndRefusesARevokedOrForeignCertificate() throws Exception {
        Identity alice = ca.issue("alice", Role.CLIENT, List.of(), List.of(), Duration.ofDays(1));
        X509Certificate renewed = issuer.renew(alice.certificate(), CertificateRequests.create(keys, "whatever"))
                .get(0);
        assertThat(renewed.getSubjectX500Principal().getName()).isEqualTo("CN=alice");
        assertThat(renewed.getSerialNumber()).isNotEqualTo(alice.certificate().getSerialNumber());

        PemFiles.writeAtomically(dir.resolve("crl.pem"), ca.crl(Map.of(alice.certificate().getSerialNumber(),
                Instant.now()), BigInteger.ONE));
        revocations.set(Revocations.parse(Files.readString(dir.resolve("crl.pem")), "crl.pem",
                List.of(ca.certificate())));
        assertThatThrownBy(() -> issuer.renew(alice.certificate(), CertificateRequests.create(keys, "alice")))
                .hasMessageContaining("is revoked: it is not renewed");

        CertificateAuthority other = CertificateAuthority.create("Other CA", Duration.ofDays(1));
        Identity stranger = other.issue("alice", Role.CLIENT, List.of(), List.of(), Duration.ofDays(1));
        assertThatThrownBy(() -> issuer.renew(stranger.certificate(), CertificateRequests.create(keys, "alice")))
                .hasMessageContaining("was not issued by this server's issuer CA");
    }
}
