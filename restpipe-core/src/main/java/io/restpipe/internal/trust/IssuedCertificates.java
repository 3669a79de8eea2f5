package io.restpipe.internal.trust;

import io.restpipe.internal.tls.CertificateNames;
import io.restpipe.internal.tls.PemFiles;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The client certificates an issuing server signed, kept in the CA directory's {@code issued/NAME/SERIAL.crt.pem}:
 * what {@code pki revoke --name} revokes besides {@code NAME.crt.pem}. A name keeps only its certificates still
 * valid, so the records stay as many as the live certificates. Thread-safe (one file per certificate).
 */
public final class IssuedCertificates {
    static final String DIRECTORY = "issued";
    /** The names pki gives; a record's directory is named after one, so nothing else may reach the file system. */
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private final Path dir;

    /** @param caDir the CA's directory */
    public IssuedCertificates(Path caDir) {
        this.dir = caDir.resolve(DIRECTORY);
    }

    /** Records {@code certificate} under its CN, and forgets that name's certificates that have expired. */
    public void add(X509Certificate certificate) throws IOException {
        String cn = CertificateNames.commonName(certificate);
        if (!SAFE_NAME.matcher(cn).matches()) {
            throw new IllegalArgumentException("the certificate's name " + cn + " is not one pki gives (letters, "
                    + "digits, '.', '_', '-'): issue this client a new certificate with pki issue");
        }
        Path name = dir.resolve(cn);
        Files.createDirectories(name);
        PemFiles.writeAtomically(name.resolve(certificate.getSerialNumber().toString(16) + ".crt.pem"), certificate);
        for (Path file : files(name)) {
            try {
                if (Instant.now().isAfter(PemFiles.readCertificates(file).get(0).getNotAfter().toInstant())) {
                    Files.deleteIfExists(file);
                }
            } catch (IllegalArgumentException unreadable) {
                // Not a record of ours: left alone.
            }
        }
    }

    /** The serial numbers of the certificates recorded for {@code name} and still valid. */
    public List<BigInteger> serials(String name) throws IOException {
        List<BigInteger> serials = new ArrayList<>();
        for (Path file : files(dir.resolve(name))) {
            try {
                serials.add(PemFiles.readCertificates(file).get(0).getSerialNumber());
            } catch (IllegalArgumentException unreadable) {
                // Not a record of ours.
            }
        }
        return serials;
    }

    private static List<Path> files(Path name) throws IOException {
        if (!Files.isDirectory(name)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(name)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".crt.pem")).toList();
        }
    }
}
