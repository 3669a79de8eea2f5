package io.restpipe.internal.call;

import io.netty.buffer.ByteBuf;

/**
 * Takes the pieces of a streamed body as they arrive. Called on the pipe's event loop, in order, so it must not
 * block; it owns each buffer it is given and reports bytes it has finished with through
 * {@link InboundBody#consumed(int)}, which is what lets the sender send more.
 */
public interface BodyConsumer {
    void onData(ByteBuf data);

    /** The body is complete. */
    void onEnd();

    /** The body will not complete: the call was cancelled or the pipe closed. */
    void onAbort(String reason);
}
