package io.restpipe.internal.tls;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * Reads and writes PEM certificates and private keys, in the forms openssl and our PKI write
 * (PKCS#8, SEC1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY").
 */
public final class PemFiles {
    private PemFiles() {
    }

    /** Every certificate in {@code file}, in order; fails if it holds none. */
    public static List<X509Certificate> readCertificates(Path file) {
        return certificates(readObjects(file), file.toString());
    }

    /** Every certificate in the PEM text {@code pem} (read from {@code file}), in order; fails if it holds none. */
    public static List<X509Certificate> certificates(String pem, String file) {
        return certificates(parseObjects(pem, file), file);
    }

    /** The private key in the PEM text {@code pem} (read from {@code file}); fails if it holds none. */
    public static PrivateKey privateKey(String pem, String file) {
        return privateKey(parseObjects(pem, file), file);
    }

    /** The first certificate revocation list in the PEM text {@code pem} (read from {@code file}). */
    public static X509CRL crl(String pem, String file) {
        return crls(pem, file).get(0);
    }

    /**
     * Every certificate revocation list in the PEM text {@code pem} (read from {@code file}), one per CA; fails if
     * it holds none.
     */
    public static List<X509CRL> crls(String pem, String file) {
        List<X509CRL> crls = new ArrayList<>();
        for (Object object : parseObjects(pem, file)) {
            if (object instanceof X509CRLHolder holder) {
                try {
                    crls.add(new JcaX509CRLConverter().getCRL(holder));
                } catch (CRLException e) {
                    throw new TlsConfigException("revocation list " + file + " cannot be decoded: " + e.getMessage(),
                            e);
                }
            }
        }
        if (crls.isEmpty()) {
            throw new TlsConfigException("file " + file + " holds no PEM revocation list (-----BEGIN X509 CRL-----)");
        }
        return crls;
    }

    private static List<X509Certificate> certificates(List<Object> objects, String file) {
        List<X509Certificate> certificates = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        for (Object object : objects) {
            if (object instanceof X509CertificateHolder holder) {
                try {
                    certificates.add(converter.getCertificate(holder));
                } catch (CertificateException e) {
                    throw new TlsConfigException("certificate file " + file + " holds a certificate that cannot be "
                            + "decoded: " + e.getMessage(), e);
                }
            }
        }
        if (certificates.isEmpty()) {
            throw new TlsConfigException("certificate file " + file + " holds no PEM certificate");
        }
        return certificates;
    }

    /** The private key in {@code file}; fails if it holds none. */
    public static PrivateKey readPrivateKey(Path file) {
        return privateKey(readObjects(file), file.toString());
    }

    private static PrivateKey privateKey(List<Object> objects, String file) {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        for (Object object : objects) {
            try {
                if (object instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (object instanceof PEMKeyPair pair) {
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                }
            } catch (IOException e) {
                throw new TlsConfigException("key file " + file + " holds a key that cannot be decoded: "
                        + e.getMessage(), e);
            }
        }
        throw new TlsConfigException("key file " + file + " holds no unencrypted PEM private key");
    }

    /** Writes {@code objects} (certificates, keys) as PEM; a file holding a private key is readable only by its owner. */
    public static void write(Path file, boolean secret, Object... objects) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            for (Object object : objects) {
                // Keys go out as PKCS#8 ("PRIVATE KEY"), the form every TLS stack reads.
                writer.writeObject(object instanceof PrivateKey key ? new JcaPKCS8Generator(key, null) : object);
            }
        }
        if (secret) {
            // Created owner-only before the key is written, so it is never readable by others.
            Files.deleteIfExists(file);
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException notPosix) {
                // A file system without POSIX permissions: nothing to tighten.
            }
        }
        Files.writeString(file, text.toString());
    }

    /**
     * Writes {@code objects} as PEM to a new file renamed over {@code file}, so that a process watching it never
     * reads it half written.
     */
    public static void writeAtomically(Path file, Object... objects) throws IOException {
        Path next = aside(file);
        write(next, false, objects);
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Replaces a certificate chain and its key: both written aside first, then renamed into place, key first, so a
     * full disk leaves the old pair whole rather than a new key beside an old certificate.
     */
    public static void replaceIdentity(Path certificate, Path key, PrivateKey privateKey, List<X509Certificate> chain)
            throws IOException {
        Path newKey = aside(key);
        Path newCertificate = aside(certificate);
        try {
            write(newKey, true, privateKey);
            write(newCertificate, false, chain.toArray());
            Files.move(newKey, key, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.move(newCertificate, certificate, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(newKey);
            Files.deleteIfExists(newCertificate);
        }
    }

    /** Where {@code file}'s next content is written before it is renamed over it. */
    public static Path aside(Path file) {
        return file.resolveSibling(file.getFileName() + ".new");
    }

    private static List<Object> readObjects(Path file) {
        try (Reader reader = Files.newBufferedReader(file)) {
            return parseObjects(reader, file.toString());
        } catch (NoSuchFileException e) {
            throw new TlsConfigException("file not found: " + file);
        } catch (AccessDeniedException e) {
            throw new TlsConfigException("file not readable: " + file);
        } catch (IOException e) {
            throw new TlsConfigException("file " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static List<Object> parseObjects(String pem, String file) {
        return parseObjects(new StringReader(pem), file);
    }

    private static List<Object> parseObjects(Reader reader, String file) {
        List<Object> objects = new ArrayList<>();
        try (PEMParser parser = new PEMParser(reader)) {
            Object object;
            while ((object = parser.readObject()) != null) {
                objects.add(object);
            }
        } catch (IOException | RuntimeException e) {
            throw new TlsConfigException("file " + file + " is not valid PEM: " + e.getMessage(), e);
        }
        return objects;
    }
}
