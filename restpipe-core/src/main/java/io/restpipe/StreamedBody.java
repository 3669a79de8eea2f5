package io.restpipe;

import java.io.InputStream;

/**
 * A body that arrives through the pipe in pieces (a request's, or the reply of an embedded call), read as it comes
 * in bounded memory: the sender sends more only as this side reads. RestPipe makes these; read one once, and close
 * its stream when done (closing early tells the sender to stop).
 */
public interface StreamedBody {
    /** The body's length when the sender gave it, else -1. */
    long contentLength();

    /**
     * A stream over the body; {@code read} blocks until more arrives and throws an {@link java.io.IOException} if
     * the body will not complete (the call was cancelled or the pipe went down). Once per body.
     */
    InputStream inputStream();
}
