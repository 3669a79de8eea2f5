package io.restpipe.internal.tls;

import java.security.cert.X509Certificate;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/** Reads names out of certificates. */
public final class CertificateNames {
    private CertificateNames() {
    }

    /** The certificate subject's common name (CN), which is a peer's identity; the whole subject if it has none. */
    public static String commonName(X509Certificate certificate) {
        String subject = certificate.getSubjectX500Principal().getName();
        try {
            for (Rdn rdn : new LdapName(subject).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
        } catch (InvalidNameException e) {
            return subject;
        }
        return subject;
    }
}
