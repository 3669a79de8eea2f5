package io.restpipe.internal.link;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Where a server that issues certificates ({@code --issuer-dir}) signs them (SPEC §11). Called off the event loops:
 * it may read files and sign. Thread-safe.
 */
public interface CertificateDesk {
    /**
     * The certificate, leaf first, for the key in {@code csr}, in the name {@code token} was made for; the token is
     * spent.
     *
     * @throws IllegalArgumentException saying why not (a token unknown, used or expired; a bad request)
     */
    List<X509Certificate> enrol(String token, byte[] csr);

    /**
     * A new certificate, leaf first, for the key in {@code csr}, in the name of the client whose pipe presents
     * {@code current}.
     *
     * @throws IllegalArgumentException saying why not (not of this CA, revoked, a bad request)
     */
    List<X509Certificate> renew(X509Certificate current, byte[] csr);
}
