package io.restpipe.internal.forward;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a pooled upstream connection that stayed unused for the idle timeout. Taking and returning a connection
 * only flips a flag and notes the time; one timer per connection wakes when the timeout could have run out and
 * goes back to sleep if it has not, so a busy connection schedules nothing per request. Event loop only.
 */
final class IdleClock {
    private static final AttributeKey<IdleClock> KEY = AttributeKey.valueOf("restpipe.idleClock");

    private final Channel channel;
    private final long timeoutNanos;
    private boolean inPool;
    private long releasedAt;
    private boolean scheduled;

    private IdleClock(Channel channel, Duration timeout) {
        this.channel = channel;
        this.timeoutNanos = timeout.toNanos();
    }

    static IdleClock of(Channel channel, Duration timeout) {
        IdleClock clock = channel.attr(KEY).get();
        if (clock == null) {
            clock = new IdleClock(channel, timeout);
            channel.attr(KEY).set(clock);
        }
        return clock;
    }

    void released() {
        inPool = true;
        releasedAt = System.nanoTime();
        if (!scheduled && channel.isActive()) {
            wakeIn(timeoutNanos);
        }
    }

    void acquired() {
        inPool = false;
    }

    private void wakeIn(long nanos) {
        scheduled = true;
        channel.eventLoop().schedule(this::check, nanos, TimeUnit.NANOSECONDS);
    }

    private void check() {
        scheduled = false;
        if (!channel.isActive()) {
            return;
        }
        long unused = System.nanoTime() - releasedAt;
        if (!inPool) {
            wakeIn(timeoutNanos);
        } else if (unused >= timeoutNanos) {
            channel.close();
        } else {
            wakeIn(timeoutNanos - unused);
        }
    }
}
