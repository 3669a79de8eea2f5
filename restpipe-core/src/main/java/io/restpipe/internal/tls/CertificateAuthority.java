package io.restpipe.internal.tls;

import io.restpipe.Identity;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A small CA for the pipe: a self-signed RSA-3072 root, server certificates with DNS/IP SANs and client
 * certificates whose CN is the client's identity, both with EC P-256 keys.
 *
 * <p>Why two key types: the TLS handshake's own signatures (made with the EC leaf keys) run in BoringSSL, but the
 * check that a peer's certificate was signed by this CA runs in Java, where verifying ECDSA P-256 takes about
 * 1.2 ms and RSA about 0.07 ms. Every handshake pays that check on both sides, so an RSA root is what lets one
 * server take thousands of reconnecting clients per second. CAs made earlier with EC keys keep working.
 *
 * <pre>{@code
 * CertificateAuthority ca = CertificateAuthority.create("RestPipe CA", Duration.ofDays(3650));
 * Identity server = ca.issue("server", Role.SERVER, List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(825));
 * }</pre>
 */
public final class CertificateAuthority {
    /** What a certificate is for, which decides its extended key usage and SANs. */
    public enum Role { SERVER, CLIENT }

    public static final String CA_CERT_FILE = "ca.crt.pem";
    public static final String CA_KEY_FILE = "ca.key.pem";
    /** The CA's revocation list, which {@code pki init} writes empty and {@code pki revoke} extends. */
    public static final String CRL_FILE = "crl.pem";
    /** How long a CRL says it stays current; RestPipe reads the file again whenever it changes anyway. */
    private static final Duration CRL_VALIDITY = Duration.ofDays(365);

    private final Identity identity;

    private CertificateAuthority(Identity identity) {
        this.identity = identity;
    }

    public Identity identity() {
        return identity;
    }

    public X509Certificate certificate() {
        return identity.certificate();
    }

    /** A new CA with a self-signed certificate valid for {@code validity}. */
    public static CertificateAuthority create(String name, Duration validity) {
        KeyPair keys = newKeyPair("RSA", new RSAKeyGenParameterSpec(3072, RSAKeyGenParameterSpec.F4));
        X500Principal subject = new X500Principal("CN=" + name);
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = builder(subject, subject, keys.getPublic(), validity)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(keys.getPublic()));
            return new CertificateAuthority(new Identity(keys.getPrivate(), List.of(sign(builder, keys))));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot create a CA certificate", e);
        }
    }

    /** Loads the CA kept in {@code dir} ({@value #CA_CERT_FILE}, {@value #CA_KEY_FILE}). */
    public static CertificateAuthority load(Path dir) {
        return new CertificateAuthority(Identity.load(dir.resolve(CA_CERT_FILE), dir.resolve(CA_KEY_FILE)));
    }

    /** Writes the CA's certificate and key into {@code dir}, creating it if needed. */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        PemFiles.write(dir.resolve(CA_CERT_FILE), false, certificate());
        PemFiles.write(dir.resolve(CA_KEY_FILE), true, identity.key());
    }

    /**
     * Issues a certificate for {@code name} (its CN). Server certificates carry the given DNS names and IP addresses
     * as SANs; client certificates carry {@code name} as their only DNS SAN.
     */
    public Identity issue(String name, Role role, List<String> dnsNames, List<String> ipAddresses,
                          Duration validity) {
        KeyPair keys = newLeafKeys();
        return new Identity(keys.getPrivate(), List.of(certify(name, role, dnsNames, ipAddresses, keys.getPublic(),
                validity)));
    }

    /** A certificate for {@code name} and {@code publicKey}, whose private key someone else holds (a CSR's). */
    public X509Certificate certify(String name, Role role, List<String> dnsNames, List<String> ipAddresses,
                                   PublicKey publicKey, Duration validity) {
        List<GeneralName> sans = new ArrayList<>();
        if (role == Role.SERVER) {
            dnsNames.forEach(dns -> sans.add(new GeneralName(GeneralName.dNSName, dns)));
            for (String ip : ipAddresses) {
                sans.add(new GeneralName(GeneralName.iPAddress, ip));
            }
        }
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = builder(certificate().getSubjectX500Principal(),
                    new X500Principal("CN=" + name), publicKey, validity)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            role == Role.SERVER ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            extensions.createAuthorityKeyIdentifier(certificate()))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(publicKey));
            if (!sans.isEmpty()) {
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(sans.toArray(GeneralName[]::new)));
            }
            return sign(builder, new KeyPair(certificate().getPublicKey(), identity.key()));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue a certificate for " + name, e);
        }
    }

    /** A new EC P-256 key pair, the kind this CA issues certificates for. */
    public static KeyPair newLeafKeys() {
        return newKeyPair("EC", new ECGenParameterSpec("secp256r1"));
    }

    /** Writes {@code issued} as {@code dir/name.crt.pem} and {@code dir/name.key.pem}. */
    public static void save(Identity issued, Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        PemFiles.write(dir.resolve(name + ".crt.pem"), false, issued.chain().toArray());
        PemFiles.write(dir.resolve(name + ".key.pem"), true, issued.key());
    }

    /**
     * A revocation list signed by this CA, revoking {@code revoked} (serial → when), numbered {@code number}: each
     * new list gets a higher number.
     */
    public X509CRL crl(Map<BigInteger, Instant> revoked, BigInteger number) {
        Instant now = Instant.now();
        try {
            X509v2CRLBuilder builder = new JcaX509v2CRLBuilder(certificate().getSubjectX500Principal(), Date.from(now))
                    .setNextUpdate(Date.from(now.plus(CRL_VALIDITY)))
                    .addExtension(Extension.cRLNumber, false, new CRLNumber(number))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(certificate()));
            revoked.forEach((serial, when) -> builder.addCRLEntry(serial, Date.from(when), CRLReason.keyCompromise));
            return new JcaX509CRLConverter().getCRL(builder.build(
                    new JcaContentSignerBuilder(Identity.signatureAlgorithm(identity.key())).build(identity.key())));
        } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot sign a revocation list", e);
        }
    }

    /**
     * Adds {@code serial} to the revocation list in {@code dir} (a new one when there is none), keeping what it
     * revoked before; returns the list written.
     */
    public X509CRL revoke(Path dir, BigInteger serial) throws IOException {
        Path file = dir.resolve(CRL_FILE);
        Map<BigInteger, Instant> revoked = new java.util.LinkedHashMap<>();
        BigInteger number = BigInteger.ONE;
        if (Files.exists(file)) {
            X509CRL current = PemFiles.crl(Files.readString(file), file.toString());
            if (current.getRevokedCertificates() != null) {
                current.getRevokedCertificates().forEach(entry ->
                        revoked.put(entry.getSerialNumber(), entry.getRevocationDate().toInstant()));
            }
            byte[] extension = current.getExtensionValue(Extension.cRLNumber.getId());
            if (extension != null) {
                number = CRLNumber.getInstance(ASN1OctetString.getInstance(extension)
                        .getOctets()).getCRLNumber().add(BigInteger.ONE);
            }
        }
        revoked.putIfAbsent(serial, Instant.now());
        X509CRL crl = crl(revoked, number);
        PemFiles.writeAtomically(file, crl);
        return crl;
    }

    private static X509v3CertificateBuilder builder(X500Principal issuer, X500Principal subject, PublicKey key,
                                                    Duration validity) {
        Instant now = Instant.now();
        BigInteger serial = new BigInteger(127, new SecureRandom());
        return new JcaX509v3CertificateBuilder(issuer, serial, Date.from(now.minus(Duration.ofMinutes(5))),
                Date.from(now.plus(validity)), subject, key);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer)
            throws GeneralSecurityException {
        String algorithm = Identity.signatureAlgorithm(signer.getPrivate());
        if (algorithm == null) {
            throw new GeneralSecurityException("cannot sign with a " + signer.getPrivate().getAlgorithm() + " key");
        }
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(algorithm).build(signer.getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static KeyPair newKeyPair(String algorithm, AlgorithmParameterSpec parameters) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            generator.initialize(parameters);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + " keys are not available in this JVM", e);
        }
    }
}
