package io.restpipe.internal.tls;

import io.restpipe.Identity;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * PKCS#10 certificate signing requests: a key's holder asks the CA for a certificate without the key ever leaving
 * its machine. The CA takes only the public key from one, once its signature proves the sender holds the private
 * key; the name comes from what the CA knows (a token, the pipe's certificate). Stateless.
 */
public final class CertificateRequests {
    private CertificateRequests() {
    }

    /** A CSR for {@code keys}, signed with its private key, in DER. */
    public static byte[] create(KeyPair keys, String name) {
        try {
            return new JcaPKCS10CertificationRequestBuilder(new X500Principal("CN=" + name), keys.getPublic())
                    .build(new JcaContentSignerBuilder(Identity.signatureAlgorithm(keys.getPrivate()))
                            .build(keys.getPrivate()))
                    .getEncoded();
        } catch (OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot make a certificate request", e);
        }
    }

    /**
     * The public key of the CSR {@code der}, whose signature is checked.
     *
     * @throws IllegalArgumentException when it does not parse or its signature does not verify
     */
    public static PublicKey verifiedKey(byte[] der) {
        try {
            JcaPKCS10CertificationRequest request = new JcaPKCS10CertificationRequest(der);
            PublicKey key = request.getPublicKey();
            if (!request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
                throw new IllegalArgumentException("the certificate request's signature does not verify");
            }
            return key;
        } catch (IOException | RuntimeException | GeneralSecurityException | OperatorCreationException
                 | PKCSException e) {
            if (e instanceof IllegalArgumentException illegal) {
                throw illegal;
            }
            throw new IllegalArgumentException("the certificate request is not a valid PKCS#10 request: "
                    + e.getMessage(), e);
        }
    }
}
