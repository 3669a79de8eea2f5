package io.restpipe;

import io.restpipe.internal.tls.CertificateNames;
import io.restpipe.internal.tls.PemFiles;
import io.restpipe.internal.tls.TlsConfigException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A side's own TLS identity: its private key and certificate chain (leaf first).
 *
 * <pre>{@code
 * Identity server = Identity.load(Path.of("server.crt.pem"), Path.of("server.key.pem"));
 * }</pre>
 */
public record Identity(PrivateKey key, List<X509Certificate> chain) {
    public Identity {
        chain = List.copyOf(chain);
    }

    public X509Certificate certificate() {
        return chain.get(0);
    }

    public String name() {
        return CertificateNames.commonName(certificate());
    }

    /** Loads a certificate and its key, failing with a clear message if either is unusable or they do not match. */
    public static Identity load(Path certificateFile, Path keyFile) {
        Identity identity = new Identity(PemFiles.readPrivateKey(keyFile), PemFiles.readCertificates(certificateFile));
        if (!identity.keyMatchesCertificate()) {
            throw new TlsConfigException("key " + keyFile + " does not match certificate " + certificateFile);
        }
        return identity;
    }

    /** The JCA signature algorithm to sign with {@code key}, or {@code null} for a key type we do not know. */
    public static String signatureAlgorithm(PrivateKey key) {
        return switch (key.getAlgorithm()) {
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
    }

    /** True when the key signs what the certificate's public key verifies. */
    boolean keyMatchesCertificate() {
        String algorithm = signatureAlgorithm(key);
        if (!certificate().getPublicKey().getAlgorithm().equals(key.getAlgorithm())) {
            return false;
        }
        if (algorithm == null) {
            return true; // an algorithm we cannot probe: the TLS handshake will tell
        }
        try {
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate().getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
