package io.restpipe.internal.tls;

/** A certificate, key or CA file that cannot be used; the message names the file and the problem. */
public final class TlsConfigException extends IllegalArgumentException {
    public TlsConfigException(String message) {
        super(message);
    }

    public TlsConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
