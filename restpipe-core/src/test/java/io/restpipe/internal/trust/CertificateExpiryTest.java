package io.restpipe.internal.trust;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.restpipe.internal.tls.CertificateAuthority.Role;
import io.restpipe.internal.tls.CertificateAuthority;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class CertificateExpiryTest {
    private static final CertificateAuthority CA = CertificateAuthority.create("Expiry CA", Duration.ofDays(400));
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(CertificateExpiry.class);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    CertificateExpiryTest() {
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void detach() {
        logger.detachAppender(lines);
    }

    private static X509Certificate valid(Duration validity) {
        return CA.issue("edge", Role.CLIENT, List.of(), List.of(), validity).certificate();
    }

    private List<String> check(X509Certificate certificate, boolean renewsItself) {
        lines.list.clear();
        new CertificateExpiry("client", () -> certificate, renewsItself, new SimpleMeterRegistry()).check();
        return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void warnsWithin14DaysOrOnceARenewingCertificatesRenewalIsLate() {
        assertThat(check(valid(Duration.ofDays(30)), false)).isEmpty();
        assertThat(check(valid(Duration.ofDays(10)), false)).singleElement().asString()
                .contains("this client's certificate CN=edge").contains("expires in 9 day(s)");
        assertThat(check(valid(Duration.ofDays(7)), true)).as("a 7-day certificate that renews itself").isEmpty();
        assertThat(check(valid(Duration.ofMinutes(2)), true)).as("its renewal is late").hasSize(1);
        assertThat(check(valid(Duration.ofMinutes(-1)), false)).singleElement().asString().contains("expired at");
    }

    @Test
    void exportsTheSecondsLeft() {
        new CertificateExpiry("server", () -> valid(Duration.ofHours(1)), false, registry);
        double seconds = registry.get("restpipe.certificate.expiry").tag("role", "server").gauge().value();
        assertThat(seconds).isBetween(3500.0, 3600.0);
    }
}
