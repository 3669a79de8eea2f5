package io.restpipe.internal.call;

import io.restpipe.PipeReply;
/** Answers one incoming event, once: with a whole reply, or a reply head whose body then streams. Thread-safe. */
public interface Replier {
    /** Sends {@code reply} with its body inline. */
    void reply(PipeReply reply);

    /**
     * Sends the head of {@code reply} (status, headers, content type and {@code contentLength}, -1 if unknown)
     * and returns where its body goes; the body of {@code reply} itself is ignored.
     */
    OutboundBody replyStreamed(PipeReply reply, long contentLength);
}
