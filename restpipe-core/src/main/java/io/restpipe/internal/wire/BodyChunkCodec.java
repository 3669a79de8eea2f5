package io.restpipe.internal.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The protobuf encoding of {@code BodyChunk{data=1, last=2, reply=3}}, written and read by hand so that the data
 * stays a slice of the network buffer. What it writes any protobuf parser reads, and it reads what any protobuf
 * writer writes (fields in any order, unknown fields skipped).
 */
final class BodyChunkCodec {
    private static final int DATA_TAG = 1 << 3 | 2;
    private static final int LAST_TAG = 2 << 3;
    private static final int REPLY_TAG = 3 << 3;

    private BodyChunkCodec() {
    }

    /** The frame header and the payload's fields before the data, so that the data buffer can follow as is. */
    static ByteBuf encodeHead(ByteBufAllocator alloc, BodyChunkFrame chunk) {
        int dataLength = chunk.content().readableBytes();
        int fields = (chunk.last() ? 2 : 0) + (chunk.reply() ? 2 : 0) + 1 + varintSize(dataLength);
        ByteBuf head = alloc.ioBuffer(Frame.HEADER_LENGTH + fields);
        head.writeByte(FrameType.BODY_CHUNK.code());
        head.writeByte(0);
        head.writeInt(fields + dataLength);
        head.writeInt(chunk.id());
        if (chunk.last()) {
            head.writeByte(LAST_TAG).writeByte(1);
        }
        if (chunk.reply()) {
            head.writeByte(REPLY_TAG).writeByte(1);
        }
        head.writeByte(DATA_TAG);
        writeVarint(head, dataLength);
        return head;
    }

    /** Parses a payload; the chunk's data is a retained slice of {@code payload}. */
    static BodyChunkFrame decode(int id, ByteBuf payload) {
        boolean last = false;
        boolean reply = false;
        int dataStart = -1;
        int dataLength = 0;
        while (payload.isReadable()) {
            long tag = readVarint(payload);
            int field = (int) (tag >>> 3);
            int wireType = (int) (tag & 7);
            if (field == 1 && wireType == 2) {
                dataLength = lengthPrefix(payload);
                dataStart = payload.readerIndex();
                payload.skipBytes(dataLength);
            } else if (field == 2 && wireType == 0) {
                last = readVarint(payload) != 0;
            } else if (field == 3 && wireType == 0) {
                reply = readVarint(payload) != 0;
            } else {
                skipField(payload, wireType);
            }
        }
        ByteBuf data = dataStart < 0 ? payload.alloc().buffer(0, 0) : payload.retainedSlice(dataStart, dataLength);
        return new BodyChunkFrame(id, reply, last, data);
    }

    private static void skipField(ByteBuf payload, int wireType) {
        switch (wireType) {
            case 0 -> readVarint(payload);
            case 1 -> need(payload, 8).skipBytes(8);
            case 2 -> payload.skipBytes(lengthPrefix(payload));
            case 5 -> need(payload, 4).skipBytes(4);
            default -> throw new FrameException("body chunk has a field of unknown wire type " + wireType);
        }
    }

    private static int lengthPrefix(ByteBuf payload) {
        long length = readVarint(payload);
        // A varint is unsigned: one of 2^63 or more reads as a negative long.
        if (length < 0 || length > payload.readableBytes()) {
            throw new FrameException("body chunk field of " + Long.toUnsignedString(length)
                    + " bytes overruns its frame");
        }
        return (int) length;
    }

    private static ByteBuf need(ByteBuf payload, int bytes) {
        if (payload.readableBytes() < bytes) {
            throw new FrameException("body chunk is truncated");
        }
        return payload;
    }

    private static long readVarint(ByteBuf in) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!in.isReadable()) {
                throw new FrameException("body chunk ends inside a varint");
            }
            byte b = in.readByte();
            value |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return value;
            }
        }
        throw new FrameException("body chunk has a varint longer than 10 bytes");
    }

    private static void writeVarint(ByteBuf out, int value) {
        while ((value & ~0x7f) != 0) {
            out.writeByte((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out.writeByte(value);
    }

    private static int varintSize(int value) {
        int size = 1;
        while ((value & ~0x7f) != 0) {
            size++;
            value >>>= 7;
        }
        return size;
    }
}
