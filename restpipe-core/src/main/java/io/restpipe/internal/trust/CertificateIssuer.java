package io.restpipe.internal.trust;

import io.restpipe.internal.link.CertificateDesk;
import io.restpipe.internal.tls.CertificateAuthority.Role;
import io.restpipe.internal.tls.CertificateAuthority;
import io.restpipe.internal.tls.CertificateDiagnosis;
import io.restpipe.internal.tls.CertificateNames;
import io.restpipe.internal.tls.CertificateRequests;
import io.restpipe.internal.tls.Revocations;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's certificate desk ({@code --issuer-dir}, SPEC §11): enrols a client that shows a one-time token and
 * renews the certificate of a connected client, with the CA in that directory; client certificates it issues are
 * short-lived. Thread-safe.
 */
public final class CertificateIssuer implements CertificateDesk {
    private static final Logger log = LoggerFactory.getLogger(CertificateIssuer.class);

    private final CertificateAuthority ca;
    private final IssuedCertificates issued;
    private final EnrolmentTokens tokens;
    private final Duration validity;
    private final Supplier<Revocations> revocations;

    /**
     * @param dir         the CA's directory (its certificate and key, and {@code tokens/})
     * @param validity    how long the client certificates it issues are valid
     * @param revocations the server's revocation list in force: a revoked certificate is not renewed
     */
    public CertificateIssuer(Path dir, Duration validity, Supplier<Revocations> revocations) {
        this.ca = CertificateAuthority.load(dir);
        this.tokens = new EnrolmentTokens(dir);
        this.issued = new IssuedCertificates(dir);
        this.validity = validity;
        this.revocations = revocations;
    }

    /** The CA certificate it issues with. */
    public X509Certificate certificate() {
        return ca.certificate();
    }

    @Override
    public List<X509Certificate> enrol(String token, byte[] csr) {
        // A stranger without a good token costs a file look-up, not a signature check; and a bad request must not
        // spend a good token.
        tokens.check(token);
        PublicKey key = CertificateRequests.verifiedKey(csr);
        String name = tokens.redeem(token);
        X509Certificate certificate = record(ca.certify(name, Role.CLIENT, List.of(), List.of(), key, validity));
        log.info("enrolled client {}: certificate {}", name, CertificateDiagnosis.describe(certificate));
        return List.of(certificate);
    }

    @Override
    public List<X509Certificate> renew(X509Certificate current, byte[] csr) {
        if (!issuedHere(current)) {
            throw new IllegalArgumentException("the certificate " + CertificateDiagnosis.describe(current)
                    + " was not issued by this server's issuer CA " + ca.certificate().getSubjectX500Principal()
                    .getName());
        }
        if (revocations.get().revokes(current)) {
            throw new IllegalArgumentException("the certificate " + CertificateDiagnosis.describe(current)
                    + " is revoked: it is not renewed");
        }
        PublicKey key = CertificateRequests.verifiedKey(csr);
        X509Certificate certificate = record(ca.certify(CertificateNames.commonName(current), Role.CLIENT, List.of(),
                List.of(), key, validity));
        log.info("renewed certificate of {}: {}", CertificateNames.commonName(current),
                CertificateDiagnosis.describe(certificate));
        return List.of(certificate);
    }

    /** Keeps a copy under the name, so that {@code pki revoke --name} finds every certificate of it. */
    private X509Certificate record(X509Certificate certificate) {
        try {
            issued.add(certificate);
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot keep a record of the certificate issued: " + e.getMessage(), e);
        }
        return certificate;
    }

    private boolean issuedHere(X509Certificate certificate) {
        return CertificateDiagnosis.issuedBy(certificate, ca.certificate());
    }
}
