package io.restpipe.internal.link;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/**
 * The reasons a pipe is not being read from right now (its peer's replies pile up, or it sends calls past its limit);
 * reading resumes once none is left. Several parts of the pipe stop reading for reasons of their own, and one must not
 * resume what another paused. Event loop only.
 */
final class ReadPauses {
    /** The peer is not taking its replies: see {@link ReplyBacklog}. */
    static final int BACKLOG = 1;
    /** The peer sends calls past its limit of calls in flight: see the call state, PeerCalls. */
    static final int CALLS = 2;

    private static final AttributeKey<ReadPauses> KEY = AttributeKey.valueOf("restpipe.readPauses");

    private final Channel channel;
    private int reasons;

    private ReadPauses(Channel channel) {
        this.channel = channel;
    }

    static ReadPauses of(Channel channel) {
        ReadPauses pauses = channel.attr(KEY).get();
        if (pauses == null) {
            pauses = new ReadPauses(channel);
            channel.attr(KEY).set(pauses);
        }
        return pauses;
    }

    boolean isPaused(int reason) {
        return (reasons & reason) != 0;
    }

    void pause(int reason) {
        reasons |= reason;
        channel.config().setAutoRead(false);
    }

    void resume(int reason) {
        reasons &= ~reason;
        if (reasons == 0 && !channel.config().isAutoRead()) {
            channel.config().setAutoRead(true);
            channel.read();
        }
    }
}
