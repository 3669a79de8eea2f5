package io.restpipe.internal.trust;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.restpipe.internal.tls.CertificateDiagnosis;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the end of this side's own certificate (SPEC §11): exports the seconds left as
 * {@code restpipe_certificate_expiry_seconds{role}} and warns, when checked (at start and daily), of one that ends
 * within {@link #WARN_WITHIN}; one that renews itself, within the last third of its life when that is shorter: a
 * short-lived certificate renewed at two thirds is worth a warning only once its renewal is late. Thread-safe.
 */
public final class CertificateExpiry {
    private static final Logger log = LoggerFactory.getLogger(CertificateExpiry.class);
    static final Duration WARN_WITHIN = Duration.ofDays(14);
    /** How often {@link #check} should run. */
    public static final Duration CHECK_EVERY = Duration.ofDays(1);

    private final String role;
    private final Supplier<X509Certificate> certificate;
    private final boolean renewsItself;

    /**
     * @param certificate  this side's certificate in force (it may be reloaded)
     * @param renewsItself whether this side renews it ({@link CertificateRenewal}) at two thirds of its life
     */
    public CertificateExpiry(String role, Supplier<X509Certificate> certificate, boolean renewsItself,
                             MeterRegistry registry) {
        this.role = role;
        this.certificate = certificate;
        this.renewsItself = renewsItself;
        Gauge.builder("restpipe.certificate.expiry", this, CertificateExpiry::secondsLeft).tag("role", role)
                .baseUnit("seconds").description("time until this side's own certificate expires")
                .register(registry);
    }

    double secondsLeft() {
        return Duration.between(Instant.now(), certificate.get().getNotAfter().toInstant()).toSeconds();
    }

    /** Logs a warning when the certificate ends within {@link #WARN_WITHIN}, an error when it has ended. */
    public void check() {
        X509Certificate current = certificate.get();
        Instant end = current.getNotAfter().toInstant();
        Duration left = Duration.between(Instant.now(), end);
        Duration lastThird = Duration.between(current.getNotBefore().toInstant(), end).dividedBy(3);
        Duration warnWithin = renewsItself && lastThird.compareTo(WARN_WITHIN) < 0 ? lastThird : WARN_WITHIN;
        String which = "this " + role + "'s certificate " + CertificateDiagnosis.describe(current);
        if (left.isNegative()) {
            log.error("{} expired at {}: peers refuse it; issue a new one (restpipe pki issue ... --force) and "
                    + "replace the --cert and --key files (they are re-read)", which, end);
        } else if (left.compareTo(warnWithin) < 0) {
            log.warn("{} expires in {} day(s), at {}: issue a new one (restpipe pki issue ... --force) and replace the "
                    + "--cert and --key files (they are re-read, no restart)", which, left.toDays(), end);
        }
    }
}
