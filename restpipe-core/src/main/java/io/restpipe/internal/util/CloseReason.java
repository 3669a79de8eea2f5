package io.restpipe.internal.util;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/** Why a connection was closed, kept on its channel for the line that logs its end. Thread-safe. */
public final class CloseReason {
    private static final AttributeKey<String> KEY = AttributeKey.valueOf("restpipe.closeReason");

    private CloseReason() {
    }

    /** Closes {@code channel}, recording {@code reason} unless an earlier one was recorded. */
    public static void close(Channel channel, String reason) {
        channel.attr(KEY).compareAndSet(null, reason);
        channel.close();
    }

    /** Why {@code channel} was closed, or {@code fallback} if nobody said. */
    public static String of(Channel channel, String fallback) {
        String reason = channel.attr(KEY).get();
        return reason == null ? fallback : reason;
    }
}
