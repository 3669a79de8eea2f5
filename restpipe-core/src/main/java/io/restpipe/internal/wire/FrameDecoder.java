package io.restpipe.internal.wire;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.IOException;
import java.util.List;

/**
 * Turns bytes into {@link Frame}s (and body chunks into {@link BodyChunkFrame}s, whose data stays a slice of the
 * input): the 10-byte header, then a protobuf payload of at most {@code maxPayloadLength}.
 *
 * <p>A broken frame raises {@link FrameException} once; everything after it is discarded, because the stream can
 * no longer be trusted and the pipe is about to be closed.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxPayloadLength;
    private boolean failed;

    public FrameDecoder(int maxPayloadLength) {
        this.maxPayloadLength = maxPayloadLength;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < Frame.HEADER_LENGTH) {
            return;
        }
        int start = in.readerIndex();
        int typeCode = in.getUnsignedByte(start);
        int flags = in.getUnsignedByte(start + 1);
        long length = in.getUnsignedInt(start + 2);
        int id = in.getInt(start + 6);
        FrameType type;
        try {
            type = FrameType.fromCode(typeCode);
            if (length > maxPayloadLength) {
                throw new FrameException(String.format(
                        "frame %s#%s announces %d bytes, over the limit of %d",
                        type, Integer.toUnsignedString(id), length, maxPayloadLength));
            }
        } catch (FrameException e) {
            fail(in);
            throw e;
        }
        if (in.readableBytes() < Frame.HEADER_LENGTH + length) {
            return;
        }
        in.skipBytes(Frame.HEADER_LENGTH);
        ByteBuf payload = in.readSlice((int) length);
        if (type == FrameType.BODY_CHUNK) {
            try {
                out.add(BodyChunkCodec.decode(id, payload));
            } catch (FrameException e) {
                fail(in);
                throw e;
            }
            return;
        }
        out.add(new Frame(type, flags, id, parse(type, id, payload, in)));
    }

    private MessageLite parse(FrameType type, int id, ByteBuf payload, ByteBuf in) {
        try {
            if (payload.hasArray()) {
                return type.parser().parseFrom(
                        payload.array(), payload.arrayOffset() + payload.readerIndex(), payload.readableBytes());
            }
            if (payload.nioBufferCount() == 1) {
                return type.parser().parseFrom(payload.nioBuffer());
            }
            return type.parser().parseFrom(new ByteBufInputStream(payload));
        } catch (InvalidProtocolBufferException e) {
            fail(in);
            throw new FrameException(String.format(
                    "frame %s#%s has a payload that does not parse: %s",
                    type, Integer.toUnsignedString(id), e.getMessage()), e);
        } catch (IOException e) {
            fail(in);
            throw new FrameException("frame " + type + " could not be read", e);
        }
    }

    private void fail(ByteBuf in) {
        failed = true;
        in.skipBytes(in.readableBytes());
    }
}
