package io.restpipe;

/** A call that failed in transport, before or instead of a reply arriving. */
public final class PipeException extends RuntimeException {
    /** What went wrong, which decides the HTTP status a gateway answers with. */
    public enum Kind {
        /** The pipe is down or the target is not connected, and did not come back in time. */
        UNAVAILABLE,
        /** No reply arrived before the caller's deadline. */
        DEADLINE_EXCEEDED,
        /** The target names no known client. */
        NOT_FOUND,
        /** The target matches several connected clients. */
        AMBIGUOUS,
        /** The request body is larger than the peer can take. */
        TOO_LARGE,
        /** The access policy (SPEC §11) does not let this caller make this call. */
        FORBIDDEN
    }

    private final Kind kind;

    public PipeException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
