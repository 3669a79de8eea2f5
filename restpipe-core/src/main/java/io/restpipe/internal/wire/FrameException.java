package io.restpipe.internal.wire;

import io.netty.handler.codec.DecoderException;

/** A frame that breaks the protocol: unknown type, over the size limit, or a payload that does not parse. */
public final class FrameException extends DecoderException {
    public FrameException(String message) {
        super(message);
    }

    public FrameException(String message, Throwable cause) {
        super(message, cause);
    }
}
