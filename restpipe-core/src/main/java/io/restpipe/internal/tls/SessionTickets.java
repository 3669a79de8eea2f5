package io.restpipe.internal.tls;

import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;
import io.restpipe.Identity;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * TLS session tickets that outlive the server process. The ticket key is derived from the server's private key and
 * the CA, so a restarted server (same key, same CA) can resume the sessions its clients still hold: a reconnect
 * storm after a restart then costs no signatures and no certificate-chain checks. A new key or CA gives new ticket
 * keys, and old tickets fall back to a full handshake.
 */
final class SessionTickets {
    private static final byte[] LABEL = "restpipe session ticket key v1".getBytes(StandardCharsets.US_ASCII);

    private SessionTickets() {
    }

    /** Installs the derived ticket key in a BoringSSL/OpenSSL server context; the JDK's TLS keeps its own keys. */
    static void install(SslContext server, Identity identity, List<X509Certificate> ca) {
        if (server.sessionContext() instanceof OpenSslSessionContext openSsl) {
            byte[] material = derive(identity, ca);
            openSsl.setTicketKeys(new OpenSslSessionTicketKey(Arrays.copyOfRange(material, 0, 16),
                    Arrays.copyOfRange(material, 16, 32), Arrays.copyOfRange(material, 32, 48)));
        }
    }

    /** 48 bytes (name, HMAC key, AES key): HMAC-SHA256 keyed by the server's private key over the CA's encoding. */
    static byte[] derive(Identity identity, List<X509Certificate> ca) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(identity.key().getEncoded(), "HmacSHA256"));
            byte[] out = new byte[48];
            for (int block = 0; block < 2; block++) {
                mac.update(LABEL);
                mac.update((byte) block);
                for (X509Certificate authority : ca) {
                    mac.update(authority.getEncoded());
                }
                byte[] part = mac.doFinal();
                System.arraycopy(part, 0, out, block * 32, Math.min(32, out.length - block * 32));
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new TlsConfigException("cannot derive the session ticket key: " + e.getMessage(), e);
        }
    }
}
