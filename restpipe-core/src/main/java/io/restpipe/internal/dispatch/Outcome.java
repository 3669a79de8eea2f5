package io.restpipe.internal.dispatch;

import io.restpipe.PipeReply;
import java.io.InputStream;

/**
 * What a handler's result becomes: a reply whose body is inline, or a reply head whose body streams from
 * {@code stream} ({@code contentLength} bytes, or -1 when unknown).
 */
public record Outcome(PipeReply reply, InputStream stream, long contentLength) {
    public static Outcome inline(PipeReply reply) {
        return new Outcome(reply, null, -1);
    }

    boolean isStreamed() {
        return stream != null;
    }
}
