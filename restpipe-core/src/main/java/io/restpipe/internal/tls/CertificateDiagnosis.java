package io.restpipe.internal.tls;

import java.security.GeneralSecurityException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Says in words why a peer's certificate is refused (SPEC §11): expired, not yet valid, not signed by a trusted CA,
 * not naming the host that was dialed, or revoked; naming the certificate (subject, issuer, validity) and the fix.
 * Stateless.
 */
public final class CertificateDiagnosis {
    private CertificateDiagnosis() {
    }

    /** The certificate as people read it: subject, issuer and validity. */
    public static String describe(X509Certificate certificate) {
        return certificate.getSubjectX500Principal().getName() + " (issued by "
                + certificate.getIssuerX500Principal().getName() + ", valid " + certificate.getNotBefore().toInstant()
                + " to " + certificate.getNotAfter().toInstant() + ", serial "
                + certificate.getSerialNumber().toString(16) + ")";
    }

    /**
     * Why {@code chain} (the peer's, leaf first) is refused, checking in the order an operator fixes things, or
     * {@code null} when none of these checks finds a problem (the JDK's own message then stands).
     *
     * @param peer       "the server's" or "client" words for the sentence: whose certificate it is
     * @param dialedHost the host the client dialed, when checking a server's certificate; else {@code null}
     */
    public static String explain(X509Certificate[] chain, List<X509Certificate> trusted, Revocations revocations,
                                 String peer, String dialedHost, Instant now) {
        if (chain == null || chain.length == 0) {
            return peer + " sent no certificate";
        }
        X509Certificate leaf = chain[0];
        String which = "the certificate of " + peer + " " + describe(leaf);
        String reissue = dialedHost == null
                ? "issue a new one: restpipe pki issue --dir CA_DIR --name NAME --client --force"
                : "issue a new one: restpipe pki issue --dir CA_DIR --name NAME --server --dns HOST --force";
        if (now.isAfter(leaf.getNotAfter().toInstant())) {
            return which + " expired at " + leaf.getNotAfter().toInstant() + "; " + reissue;
        }
        if (now.isBefore(leaf.getNotBefore().toInstant())) {
            return which + " is not valid before " + leaf.getNotBefore().toInstant() + ": check the clocks of both "
                    + "machines (and of the one that issued it)";
        }
        if (trusted.stream().noneMatch(ca -> issuedBy(leaf, ca))) {
            return which + " is not signed by a CA this side trusts (--ca: " + trusted.stream()
                    .map(ca -> ca.getSubjectX500Principal().getName()).collect(Collectors.joining("; "))
                    + "): give this side the CA " + leaf.getIssuerX500Principal().getName() + " in its --ca file "
                    + "(several CAs may be listed during a rotation), or issue the certificate from this side's CA";
        }
        if (revocations.revokes(leaf)) {
            return which + " is revoked by the revocation list (--crl); " + reissue;
        }
        if (dialedHost != null) {
            List<String> names = subjectAlternativeNames(leaf);
            if (names.stream().noneMatch(name -> name.equalsIgnoreCase(dialedHost))) {
                return which + " names " + (names.isEmpty() ? "no host" : String.join(", ", names))
                        + " but this client dialed " + dialedHost + ": dial one of those names, or issue the server a "
                        + "certificate with --dns " + dialedHost + " (or --ip for an address)";
            }
        }
        return null;
    }

    /** True when {@code ca} issued {@code certificate}: its name as issuer, and its key's signature. */
    public static boolean issuedBy(X509Certificate certificate, X509Certificate ca) {
        if (!certificate.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
            return false;
        }
        try {
            certificate.verify(ca.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static List<String> subjectAlternativeNames(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    names.add(String.valueOf(san.get(1)));
                }
            }
        } catch (CertificateParsingException e) {
            // No readable SANs: none to list.
        }
        return names;
    }
}
