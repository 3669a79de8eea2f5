package io.restpipe.handler;

import io.restpipe.pipe.InboundBody;
import java.io.InputStream;

/** Reads a streamed body that arrived through the pipe (a request's, or an embedded call's reply) as a stream. */
public final class BodyStreams {
    private BodyStreams() {
    }

    /** A blocking stream over {@code body}, returning credit to the sender as it is read; close it when done. */
    public static InputStream open(InboundBody body) {
        return new StreamedBodyInputStream(body);
    }
}
