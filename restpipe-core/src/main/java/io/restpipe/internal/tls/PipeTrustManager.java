package io.restpipe.internal.tls;

import io.netty.handler.ssl.ResumableX509ExtendedTrustManager;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trusts what chains to the CA (the JDK's PKIX checks), and re-checks a peer whose session is resumed from a
 * ticket: such a handshake calls no chain check, so the peer's certificate must at least still be within its
 * validity period. The ticket itself vouches that the chain was checked against this CA when it was issued
 * (see {@link SessionTickets}). Marks resumed sessions so the pipe can count them.
 */
public final class PipeTrustManager extends X509ExtendedTrustManager implements ResumableX509ExtendedTrustManager {
    private static final Logger log = LoggerFactory.getLogger(PipeTrustManager.class);
    /** Set to {@code Boolean.TRUE} on an {@code SSLSession} that was resumed rather than fully authenticated. */
    public static final String RESUMED = "restpipe.resumed";

    private final X509ExtendedTrustManager pkix;
    private final List<X509Certificate> ca;
    private final Supplier<Revocations> revocations;

    private PipeTrustManager(X509ExtendedTrustManager pkix, List<X509Certificate> ca,
                             Supplier<Revocations> revocations) {
        this.pkix = pkix;
        this.ca = List.copyOf(ca);
        this.revocations = revocations;
    }

    /** @param revocations the revocation list in force at each handshake (it may be reloaded) */
    static PipeTrustManager of(List<X509Certificate> ca, Supplier<Revocations> revocations) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < ca.size(); i++) {
                store.setCertificateEntry("ca-" + i, ca.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509ExtendedTrustManager extended) {
                    return new PipeTrustManager(extended, ca, revocations);
                }
            }
            throw new TlsConfigException("the JDK offers no X.509 trust manager", null);
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new TlsConfigException("cannot trust the CA certificates: " + e.getMessage(), e);
        }
    }

    @Override
    public void resumeClientTrusted(X509Certificate[] chain, SSLEngine engine) throws CertificateException {
        resumed(chain, engine);
    }

    @Override
    public void resumeServerTrusted(X509Certificate[] chain, SSLEngine engine) throws CertificateException {
        resumed(chain, engine);
    }

    private void resumed(X509Certificate[] chain, SSLEngine engine) throws CertificateException {
        if (chain.length == 0) {
            throw new CertificateException("resumed session carries no peer certificate");
        }
        X509Certificate peer = chain[0];
        try {
            peer.checkValidity();
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            throw new CertificateException("resumed session refused: the certificate of "
                    + peer.getSubjectX500Principal().getName() + " is valid only from " + peer.getNotBefore()
                    + " to " + peer.getNotAfter());
        }
        // A ticket issued before the revocation must not let the peer back in.
        notRevoked(chain);
        engine.getSession().putValue(RESUMED, Boolean.TRUE);
    }

    /**
     * The refusal in words an operator can act on (see {@link CertificateDiagnosis}); the JDK's own words when the
     * diagnosis finds nothing more precise.
     */
    private CertificateException explained(CertificateException refused, X509Certificate[] chain, String peer,
                                           String dialedHost) {
        String explanation = CertificateDiagnosis.explain(chain, ca, revocations.get(), peer, dialedHost,
                Instant.now());
        if (explanation == null) {
            return refused;
        }
        log.debug("refused {}: {}", peer, refused.toString());
        return new CertificateException(explanation);
    }

    private void notRevoked(X509Certificate[] chain) throws CertificateException {
        if (chain.length > 0 && revocations.get().revokes(chain[0])) {
            X509Certificate peer = chain[0];
            throw new CertificateException("the certificate of " + peer.getSubjectX500Principal().getName()
                    + " (serial " + peer.getSerialNumber().toString(16) + ", issued by "
                    + peer.getIssuerX500Principal().getName() + ") is revoked by the revocation list (--crl)");
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        try {
            pkix.checkClientTrusted(chain, authType, engine);
            notRevoked(chain);
        } catch (CertificateException refused) {
            throw explained(refused, chain, "a client", null);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        try {
            pkix.checkServerTrusted(chain, authType, engine);
            notRevoked(chain);
        } catch (CertificateException refused) {
            throw explained(refused, chain, "the server", engine.getPeerHost());
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        pkix.checkClientTrusted(chain, authType, socket);
        notRevoked(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        pkix.checkServerTrusted(chain, authType, socket);
        notRevoked(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.checkClientTrusted(chain, authType);
        notRevoked(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.checkServerTrusted(chain, authType);
        notRevoked(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pkix.getAcceptedIssuers();
    }
}
