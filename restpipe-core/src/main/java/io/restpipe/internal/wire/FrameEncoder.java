package io.restpipe.internal.wire;

import com.google.protobuf.CodedOutputStream;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import java.io.IOException;

/** Writes a {@link Frame} as its 10-byte header followed by the serialized message. Stateless. */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToByteEncoder<Frame> {
    public FrameEncoder() {
        super(Frame.class);
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Frame frame, boolean preferDirect) {
        int size = Frame.HEADER_LENGTH + frame.message().getSerializedSize();
        return preferDirect ? ctx.alloc().ioBuffer(size) : ctx.alloc().heapBuffer(size);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame frame, ByteBuf out) throws IOException {
        int size = frame.message().getSerializedSize();
        out.writeByte(frame.type().code());
        out.writeByte(frame.flags());
        out.writeInt(size);
        out.writeInt(frame.id());
        out.ensureWritable(size);
        CodedOutputStream coded = CodedOutputStream.newInstance(
                out.internalNioBuffer(out.writerIndex(), size));
        frame.message().writeTo(coded);
        coded.checkNoSpaceLeft();
        out.writerIndex(out.writerIndex() + size);
    }
}
