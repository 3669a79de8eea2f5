package io.restpipe;

import io.restpipe.internal.tls.CertificateAuthority.Role;
import io.restpipe.internal.tls.CertificateAuthority;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/** Certificates for tests, minted by our own PKI code; one CA per test class keeps tests independent. */
public final class TestPki {
    private static final Duration VALIDITY = Duration.ofDays(1);

    private final CertificateAuthority ca;

    public TestPki() {
        this.ca = CertificateAuthority.create("Test CA " + System.nanoTime(), VALIDITY);
    }

    public List<X509Certificate> caCertificates() {
        return List.of(ca.certificate());
    }

    public CertificateAuthority ca() {
        return ca;
    }

    /** A server certificate naming localhost, 127.0.0.1 and ::1. */
    public Identity server() {
        return ca.issue("server", Role.SERVER, List.of("localhost"), List.of("127.0.0.1", "::1"), VALIDITY);
    }

    public Identity client(String name) {
        return ca.issue(name, Role.CLIENT, List.of(), List.of(), VALIDITY);
    }
}
