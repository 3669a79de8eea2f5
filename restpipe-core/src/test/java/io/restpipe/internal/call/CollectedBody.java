package io.restpipe.internal.call;

import io.netty.channel.Channel;
import java.util.function.LongConsumer;

/** Request bodies for tests that stand in for a pipe: written through a real {@link OutboundBody}, then dropped. */
public final class CollectedBody {
    private CollectedBody() {
    }

    /**
     * A body that takes whatever is written, without credit limits, as a v1 peer's body is gathered; once it ended
     * or was given up, {@code onFinished} gets the bytes written and kept (-1 when given up), and they are released.
     *
     * @param channel only lends its allocator (and receives a {@code Cancel} frame if the body is given up)
     */
    public static OutboundBody collecting(Channel channel, LongConsumer onFinished) {
        long[] length = {-1};
        return new OutboundBody(new ChannelSink(channel), 1, false, () -> onFinished.accept(length[0]), whole -> {
            length[0] = whole.readableBytes();
            whole.release();
        });
    }
}
