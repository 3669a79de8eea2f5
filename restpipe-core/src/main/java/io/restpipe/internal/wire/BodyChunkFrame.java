package io.restpipe.internal.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * A {@code BodyChunk} frame (type 0x04) kept as a buffer rather than a parsed message, so body bytes are never
 * copied on their way through the pipe. Owns its data: whoever takes it releases it or passes it on.
 */
public final class BodyChunkFrame extends DefaultByteBufHolder {
    private final int id;
    private final boolean reply;
    private final boolean last;

    /**
     * @param reply true for a piece of the reply body, false for the request body
     * @param last  true for the final piece (which may be empty)
     */
    public BodyChunkFrame(int id, boolean reply, boolean last, ByteBuf data) {
        super(data);
        this.id = id;
        this.reply = reply;
        this.last = last;
    }

    public int id() {
        return id;
    }

    public boolean reply() {
        return reply;
    }

    public boolean last() {
        return last;
    }

    @Override
    public String toString() {
        return "BODY_CHUNK#" + Integer.toUnsignedString(id) + (reply ? " reply" : " request") + " "
                + content().readableBytes() + "B" + (last ? " last" : "");
    }
}
