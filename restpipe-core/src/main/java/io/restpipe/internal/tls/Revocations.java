package io.restpipe.internal.tls;

import java.math.BigInteger;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;

/**
 * The certificates a {@code --crl} file revokes (SPEC §11): an X.509 CRL that one of the trusted CAs signed, read
 * as serial numbers of that CA. Immutable, thread-safe.
 */
public final class Revocations {
    private static final Revocations NONE = new Revocations(null, Set.of());

    private final X500Principal issuer;
    private final Set<BigInteger> serials;

    private Revocations(X500Principal issuer, Set<BigInteger> serials) {
        this.issuer = issuer;
        this.serials = Set.copyOf(serials);
    }

    /** Revokes nothing: a side without {@code --crl}. */
    public static Revocations none() {
        return NONE;
    }

    /**
     * The revocations in the PEM text of a CRL read from {@code file}, which one of {@code trusted} must have signed.
     *
     * @throws TlsConfigException naming the file and the problem
     */
    public static Revocations parse(String pem, String file, List<X509Certificate> trusted) {
        X509CRL crl = PemFiles.crl(pem, file);
        X509Certificate signer = trusted.stream()
                .filter(ca -> ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal()))
                .filter(ca -> signedBy(crl, ca)).findFirst().orElse(null);
        if (signer == null) {
            throw new TlsConfigException("revocation list " + file + " was issued by " + crl.getIssuerX500Principal()
                    + ", which is not a trusted CA (--ca) whose signature it carries: use the crl.pem of the CA "
                    + "directory that issued your certificates");
        }
        Set<BigInteger> serials = new HashSet<>();
        if (crl.getRevokedCertificates() != null) {
            for (X509CRLEntry entry : crl.getRevokedCertificates()) {
                serials.add(entry.getSerialNumber());
            }
        }
        return new Revocations(crl.getIssuerX500Principal(), serials);
    }

    /** True when {@code certificate} is one this list revokes. */
    public boolean revokes(X509Certificate certificate) {
        return issuer != null && serials.contains(certificate.getSerialNumber())
                && issuer.equals(certificate.getIssuerX500Principal());
    }

    public int size() {
        return serials.size();
    }

    private static boolean signedBy(X509CRL crl, X509Certificate ca) {
        try {
            crl.verify(ca.getPublicKey());
            return true;
        } catch (java.security.GeneralSecurityException e) {
            return false;
        }
    }
}
