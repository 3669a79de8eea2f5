package io.restpipe.internal.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.restpipe.Identity;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/** Builds the TLS contexts of the pipe: mutual authentication against one CA, TLS 1.3 with 1.2 accepted. */
public final class TlsContexts {
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    /** How long a session can be resumed: TLS 1.3's longest ticket lifetime, a week. */
    private static final long SESSION_LIFETIME_SECONDS = 7 * 24 * 3600;
    /**
     * The in-memory key store Netty hands our key to BoringSSL through. Its default, PKCS#12, encrypts and decrypts
     * the key with 10,000 PBKDF2 rounds (0.1 s of a cold start); JKS's key protection is a cheap hash, and this
     * store never leaves the process.
     */
    private static final String KEY_STORE_TYPE = "JKS";

    private TlsContexts() {
    }

    /**
     * BoringSSL (netty-tcnative) when it loads on this platform, several times faster for bulk data; the JDK's
     * TLS otherwise. {@code -Drestpipe.tls=jdk} forces the JDK's.
     */
    public static SslProvider provider() {
        boolean wantJdk = "jdk".equalsIgnoreCase(System.getProperty("restpipe.tls"));
        return !wantJdk && OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** The server's context: it presents {@code identity} and requires a client certificate chaining to {@code ca}. */
    public static SslContext server(Identity identity, List<X509Certificate> ca) {
        return server(identity, ca, Revocations::none);
    }

    /** Like the other, refusing also the client certificates {@code revocations} (read at each handshake) revokes. */
    public static SslContext server(Identity identity, List<X509Certificate> ca, Supplier<Revocations> revocations) {
        return server(identity, ca, revocations, false);
    }

    /**
     * Like the other; with {@code enrolling}, a client may also connect without a certificate, to enrol (the
     * pipe then lets it do nothing else).
     */
    public static SslContext server(Identity identity, List<X509Certificate> ca, Supplier<Revocations> revocations,
                                    boolean enrolling) {
        try {
            SslContext context = SslContextBuilder.forServer(identity.key(), identity.chain())
                    .sslProvider(provider())
                    .keyStoreType(KEY_STORE_TYPE)
                    .trustManager(PipeTrustManager.of(ca, revocations))
                    .clientAuth(enrolling ? ClientAuth.OPTIONAL : ClientAuth.REQUIRE)
                    .protocols(PROTOCOLS)
                    .sessionTimeout(SESSION_LIFETIME_SECONDS)
                    .build();
            SessionTickets.install(context, identity, ca);
            return context;
        } catch (SSLException | IllegalArgumentException e) {
            throw new TlsConfigException("cannot build the server TLS context: " + e.getMessage(), e);
        }
    }

    /**
     * The client's context: it presents {@code identity} and accepts only a server certificate that chains to
     * {@code ca} and names the host it dialed.
     */
    public static SslContext client(Identity identity, List<X509Certificate> ca) {
        return client(identity, ca, Revocations::none);
    }

    /** Like the other, refusing also a server certificate {@code revocations} (read at each handshake) revokes. */
    public static SslContext client(Identity identity, List<X509Certificate> ca, Supplier<Revocations> revocations) {
        try {
            return SslContextBuilder.forClient()
                    .sslProvider(provider())
                    .keyManager(identity.key(), identity.chain())
                    .keyStoreType(KEY_STORE_TYPE)
                    .trustManager(PipeTrustManager.of(ca, revocations))
                    .endpointIdentificationAlgorithm("HTTPS")
                    .protocols(PROTOCOLS)
                    .sessionTimeout(SESSION_LIFETIME_SECONDS)
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new TlsConfigException("cannot build the client TLS context: " + e.getMessage(), e);
        }
    }

    /**
     * The context of a client that has no certificate yet and connects only to enrol: it authenticates the server
     * against {@code ca} and the host it dialed, and presents nothing.
     */
    public static SslContext enrolling(List<X509Certificate> ca) {
        try {
            return SslContextBuilder.forClient()
                    .sslProvider(provider())
                    .trustManager(PipeTrustManager.of(ca, Revocations::none))
                    .endpointIdentificationAlgorithm("HTTPS")
                    .protocols(PROTOCOLS)
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new TlsConfigException("cannot build the enrolment TLS context: " + e.getMessage(), e);
        }
    }
}
