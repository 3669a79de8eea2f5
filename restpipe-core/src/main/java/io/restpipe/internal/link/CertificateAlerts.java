package io.restpipe.internal.link;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the TLS alerts with which a server refuses a client's certificate, as the JDK ("Received fatal alert:
 * certificate_unknown") and BoringSSL ("SSLV3_ALERT_CERTIFICATE_UNKNOWN") word them. Stateless.
 */
final class CertificateAlerts {
    private static final Map<String, String> MEANINGS = Map.of(
            "certificate_unknown", "alert certificate_unknown: the server could not verify it",
            "bad_certificate", "alert bad_certificate",
            "unknown_ca", "alert unknown_ca: signed by a CA the server does not trust",
            "certificate_expired", "alert certificate_expired",
            "certificate_revoked", "alert certificate_revoked",
            "unsupported_certificate", "alert unsupported_certificate",
            "certificate_required", "alert certificate_required: it sent none, because the server asks for one issued "
                    + "by a CA in its --ca and this one was not",
            "access_denied", "alert access_denied",
            "internal_error", "alert internal_error");

    private CertificateAlerts() {
    }

    /** True when {@code message} reports one of the alerts a server sends about a client's certificate. */
    static boolean isRefusal(String message) {
        return alert(message) != null;
    }

    /** True when {@code message} is a server's TLS stack saying that the client sent no certificate. */
    static boolean isMissingCertificate(String message) {
        String lower = message == null ? "" : message.toLowerCase(Locale.ROOT);
        return lower.contains("peer_did_not_return_a_certificate") || lower.contains("empty client certificate chain")
                || lower.contains("certificate_required");
    }

    /** The alert in {@code message}, with what it means; the message itself when it names no alert we know. */
    static String meaning(String message) {
        String alert = alert(message);
        return alert == null ? message : MEANINGS.get(alert);
    }

    /** What is wrong with {@code own} by its dates alone, as a clause to append, or "". */
    static String expiryProblem(X509Certificate own, Instant now) {
        if (now.isAfter(own.getNotAfter().toInstant())) {
            return "; it expired at " + own.getNotAfter().toInstant() + ": issue a new one (restpipe pki issue ... "
                    + "--client --force)";
        }
        if (now.isBefore(own.getNotBefore().toInstant())) {
            return "; it is not valid before " + own.getNotBefore().toInstant() + ": check the clocks";
        }
        return "";
    }

    private static String alert(String message) {
        if (message == null) {
            return null;
        }
        String lower = message.toLowerCase(Locale.ROOT);
        if (!lower.contains("alert")) {
            return null;
        }
        for (String alert : MEANINGS.keySet()) {
            if (lower.contains(alert)) {
                return alert;
            }
        }
        return null;
    }
}
