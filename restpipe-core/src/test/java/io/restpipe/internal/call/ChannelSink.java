package io.restpipe.internal.call;

import io.netty.channel.Channel;
import io.restpipe.internal.link.ChannelFrameSink;

/** A frame sink straight onto a channel (an embedded one, in tests), as a link that never goes away. */
public final class ChannelSink extends ChannelFrameSink {
    public ChannelSink(Channel channel) {
        super(channel, () -> false);
    }
}
