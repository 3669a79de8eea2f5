package io.restpipe.internal.wire;

import com.google.protobuf.MessageLite;

/**
 * One decoded frame: its type, flags, call id and parsed message.
 *
 * <p>The id is an unsigned 32-bit number held in an {@code int}; replies carry the id of the frame they answer.
 */
public record Frame(FrameType type, int flags, int id, MessageLite message) {
    /** Header flag of v1: this frame is a reply. */
    public static final int FLAG_REPLY = 0x01;

    /** Header length: type (1) + flags (1) + payload length (4) + id (4). */
    public static final int HEADER_LENGTH = 10;

    /** A frame for {@code message}, with the reply flag set when its type is a reply type. */
    public static Frame of(int id, MessageLite message) {
        FrameType type = FrameType.of(message);
        return new Frame(type, type.isReply() ? FLAG_REPLY : 0, id, message);
    }

    @SuppressWarnings("unchecked")
    public <T extends MessageLite> T as(Class<T> messageClass) {
        return (T) message;
    }

    @Override
    public String toString() {
        return type + "#" + Integer.toUnsignedString(id);
    }
}
