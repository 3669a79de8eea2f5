package io.restpipe.internal.wire;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/** Writes a {@link BodyChunkFrame} as a small head followed by its data buffer, uncopied. Stateless. */
@ChannelHandler.Sharable
public final class BodyChunkEncoder extends MessageToMessageEncoder<BodyChunkFrame> {
    public BodyChunkEncoder() {
        super(BodyChunkFrame.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, BodyChunkFrame chunk, List<Object> out) {
        out.add(BodyChunkCodec.encodeHead(ctx.alloc(), chunk));
        out.add(chunk.content().retain());
    }
}
