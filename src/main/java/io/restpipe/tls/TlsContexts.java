package io.restpipe.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;

/** Builds the TLS contexts of the pipe: mutual authentication against one CA, TLS 1.3 with 1.2 accepted. */
public final class TlsContexts {
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private TlsContexts() {
    }

    /** The server's context: it presents {@code identity} and requires a client certificate chaining to {@code ca}. */
    public static SslContext server(Identity identity, List<X509Certificate> ca) {
        try {
            return SslContextBuilder.forServer(identity.key(), identity.chain())
                    .trustManager(ca)
                    .clientAuth(ClientAuth.REQUIRE)
                    .protocols(PROTOCOLS)
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new TlsConfigException("cannot build the server TLS context: " + e.getMessage(), e);
        }
    }

    /**
     * The client's context: it presents {@code identity} and accepts only a server certificate that chains to
     * {@code ca} and names the host it dialed.
     */
    public static SslContext client(Identity identity, List<X509Certificate> ca) {
        try {
            return SslContextBuilder.forClient()
                    .keyManager(identity.key(), identity.chain())
                    .trustManager(ca)
                    .endpointIdentificationAlgorithm("HTTPS")
                    .protocols(PROTOCOLS)
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new TlsConfigException("cannot build the client TLS context: " + e.getMessage(), e);
        }
    }
}
