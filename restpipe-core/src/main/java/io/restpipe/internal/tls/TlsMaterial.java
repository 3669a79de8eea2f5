package io.restpipe.internal.tls;

import io.netty.handler.ssl.SslContext;

/**
 * The TLS context of the next handshake: read for every new pipe, so that a certificate, its key or the trusted CA
 * can be replaced, or a certificate revoked, without a restart; pipes already up keep theirs. Thread-safe.
 */
@FunctionalInterface
public interface TlsMaterial {
    SslContext current();

    /** Material that never changes. */
    static TlsMaterial fixed(SslContext context) {
        return () -> context;
    }
}
