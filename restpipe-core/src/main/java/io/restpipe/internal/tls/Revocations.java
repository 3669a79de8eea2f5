package io.restpipe.internal.tls;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.security.auth.x500.X500Principal;

/**
 * The certificates a {@code --crl} file revokes (SPEC §11): X.509 CRLs, one per CA (several during a CA rotation,
 * their PEM blocks in one file), each signed by a trusted CA, read as serial numbers of that CA. Immutable,
 * thread-safe.
 */
public final class Revocations {
    private static final Revocations NONE = new Revocations(Map.of());

    /** Revoked serial numbers by the CA that issued them. */
    private final Map<X500Principal, Set<BigInteger>> serials;

    private Revocations(Map<X500Principal, Set<BigInteger>> serials) {
        this.serials = Map.copyOf(serials);
    }

    /** Revokes nothing: a side without {@code --crl}. */
    public static Revocations none() {
        return NONE;
    }

    /**
     * The revocations in the PEM text of the CRLs read from {@code file}, each of which one of {@code trusted} must
     * have signed.
     *
     * @throws TlsConfigException naming the file and the problem
     */
    public static Revocations parse(String pem, String file, List<X509Certificate> trusted) {
        Map<X500Principal, Set<BigInteger>> serials = new HashMap<>();
        for (X509CRL crl : PemFiles.crls(pem, file)) {
            boolean signed = trusted.stream()
                    .filter(ca -> ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal()))
                    .anyMatch(ca -> signedBy(crl, ca));
            if (!signed) {
                throw new TlsConfigException("revocation list " + file + " was issued by "
                        + crl.getIssuerX500Principal() + ", which is not a trusted CA (--ca) whose signature it carries: use the crl.pem of the CA "
                        + "directory that issued your certificates");
            }
            Set<BigInteger> revoked = serials.computeIfAbsent(crl.getIssuerX500Principal(), issuer -> new HashSet<>());
            if (crl.getRevokedCertificates() != null) {
                for (X509CRLEntry entry : crl.getRevokedCertificates()) {
                    revoked.add(entry.getSerialNumber());
                }
            }
        }
        Map<X500Principal, Set<BigInteger>> frozen = new HashMap<>();
        serials.forEach((issuer, set) -> frozen.put(issuer, Set.copyOf(set)));
        return new Revocations(frozen);
    }

    /** True when {@code certificate} is one these lists revoke. */
    public boolean revokes(X509Certificate certificate) {
        Set<BigInteger> revoked = serials.get(certificate.getIssuerX500Principal());
        return revoked != null && revoked.contains(certificate.getSerialNumber());
    }

    /** How many certificates these lists revoke. */
    public int size() {
        return serials.values().stream().mapToInt(Set::size).sum();
    }

    private static boolean signedBy(X509CRL crl, X509Certificate ca) {
        try {
            crl.verify(ca.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
