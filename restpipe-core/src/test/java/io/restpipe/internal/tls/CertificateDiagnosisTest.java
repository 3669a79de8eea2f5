package io.restpipe.internal.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.restpipe.Identity;
import io.restpipe.internal.tls.CertificateAuthority.Role;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.Test;

class CertificateDiagnosisTest {
    private static final CertificateAuthority CA = CertificateAuthority.create("Diagnosis CA", Duration.ofDays(10));
    private static final CertificateAuthority OTHER = CertificateAuthority.create("Other CA", Duration.ofDays(10));

    private final Identity alice = CA.issue("alice", Role.CLIENT, List.of(), List.of(), Duration.ofDays(1));
    private final X509Certificate[] chain = {alice.certificate()};
    private final List<X509Certificate> trusted = List.of(CA.certificate());

    private String explain(X509Certificate[] peer, List<X509Certificate> ca, Revocations revocations, String host,
                           Instant now) {
        return CertificateDiagnosis.explain(peer, ca, revocations, host == null ? "a client" : "the server", host,
                now);
    }

    @Test
    void aGoodCertificateHasNothingToExplain() {
        assertThat(explain(chain, trusted, Revocations.none(), null, Instant.now())).isNull();
    }

    @Test
    void anExpiredOneNamesWhenAndHowToReissue() {
        Instant later = alice.certificate().getNotAfter().toInstant().plusSeconds(60);
        assertThat(explain(chain, trusted, Revocations.none(), null, later))
                .startsWith("the certificate of a client CN=alice (issued by CN=Diagnosis CA, valid ")
                .contains("expired at " + alice.certificate().getNotAfter().toInstant())
                .contains("restpipe pki issue --dir CA_DIR --name NAME --client --force");
    }

    @Test
    void oneNotYetValidPointsAtTheClocks() {
        Instant earlier = alice.certificate().getNotBefore().toInstant().minus(Duration.ofHours(1));
        assertThat(explain(chain, trusted, Revocations.none(), null, earlier))
                .contains("is not valid before").contains("check the clocks");
    }

    @Test
    void oneFromAnotherCaNamesBothCasAndTheFix() {
        assertThat(explain(chain, List.of(OTHER.certificate()), Revocations.none(), null, Instant.now()))
                .contains("is not signed by a CA this side trusts (--ca: CN=Other CA)")
                .contains("give this side the CA CN=Diagnosis CA in its --ca file");
    }

    @Test
    void aRevokedOneSaysSo() throws Exception {
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
            writer.writeObject(CA.crl(Map.of(alice.certificate().getSerialNumber(), Instant.now()), BigInteger.ONE));
        }
        Revocations revoked = Revocations.parse(pem.toString(), "crl.pem", trusted);
        assertThat(explain(chain, trusted, revoked, null, Instant.now()))
                .contains("is revoked by the revocation list (--crl)");
    }

    @Test
    void aServerCertificateForAnotherNameListsItsNamesAndTheOneDialed() {
        Identity server = CA.issue("server", Role.SERVER, List.of("files.example"), List.of("10.0.0.1"),
                Duration.ofDays(1));
        assertThat(explain(new X509Certificate[] {server.certificate()}, trusted, Revocations.none(), "localhost",
                Instant.now()))
                .contains("the certificate of the server CN=server")
                .contains("names files.example, 10.0.0.1 but this client dialed localhost")
                .contains("--dns localhost");
    }

    @Test
    void revocationListsOfSeveralCasInOneFileEachRevokeTheirOwnSerials() throws Exception {
        Identity stranger = OTHER.issue("alice", Role.CLIENT, List.of(), List.of(), Duration.ofDays(1));
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
            writer.writeObject(CA.crl(Map.of(alice.certificate().getSerialNumber(), Instant.now()), BigInteger.ONE));
            writer.writeObject(OTHER.crl(Map.of(BigInteger.TEN, Instant.now()), BigInteger.ONE));
        }
        Revocations both = Revocations.parse(pem.toString(), "crl.pem", List.of(CA.certificate(),
                OTHER.certificate()));
        assertThat(both.revokes(alice.certificate())).isTrue();
        assertThat(both.revokes(stranger.certificate())).as("same name, other CA, other serial").isFalse();
        assertThat(both.size()).isEqualTo(2);
    }

    @Test
    void aRevocationListSignedByAnUntrustedCaIsRefused() throws Exception {
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
            writer.writeObject(OTHER.crl(Map.of(), BigInteger.ONE));
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Revocations.parse(pem.toString(), "crl.pem", trusted))
                .isInstanceOf(TlsConfigException.class)
                .hasMessageContaining("revocation list crl.pem was issued by CN=Other CA, which is not a trusted CA");
    }
}
