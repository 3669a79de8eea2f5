package io.restpipe.internal.link;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CertificateAlertsTest {
    @Test
    void readsTheRefusalsAsTheJdkAndBoringSslWordThem() {
        assertThat(CertificateAlerts.isRefusal("Received fatal alert: certificate_unknown")).isTrue();
        assertThat(CertificateAlerts.isRefusal("error:10000416:SSL routines:OPENSSL_internal:"
                + "SSLV3_ALERT_CERTIFICATE_UNKNOWN")).isTrue();
        assertThat(CertificateAlerts.meaning("TLSV1_ALERT_UNKNOWN_CA"))
                .isEqualTo("alert unknown_ca: signed by a CA the server does not trust");
        assertThat(CertificateAlerts.isRefusal("Connection reset by peer")).isFalse();
        assertThat(CertificateAlerts.isRefusal("certificate_unknown without the word")).isFalse();
        assertThat(CertificateAlerts.isMissingCertificate("error:1000045c:SSL routines:OPENSSL_internal:"
                + "PEER_DID_NOT_RETURN_A_CERTIFICATE")).isTrue();
        assertThat(CertificateAlerts.isMissingCertificate("Empty client certificate chain")).isTrue();
    }
}
