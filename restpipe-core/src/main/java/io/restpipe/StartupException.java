package io.restpipe;

/** A server or client that cannot start: a port in use, an address that cannot be bound, unusable TLS files. */
public final class StartupException extends RuntimeException {
    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
