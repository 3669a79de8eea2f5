package io.restpipe.internal.call;

import io.netty.util.internal.PlatformDependent;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One side's budget for the memory that request and reply bodies may hold at once: each streamed body holds its
 * credit window from start to end (on both ends of the pipe, that is what can wait in buffers), and a gateway holds
 * the bytes of a small body while it gathers it. A body that finds the budget spent is refused (503) instead of
 * pushing the process into an {@link OutOfMemoryError}; the bodies already under way keep their share. Thread-safe.
 */
public final class BodyMemory {
    /** What a streamed body holds: the most a sender may have unacknowledged. */
    public static final long STREAM_WINDOW = StreamWindow.INITIAL_CREDIT;
    private static final long DEFAULT_CAP = 256L << 20;

    private final long limit;
    private final AtomicLong held = new AtomicLong();

    /** @param limit bytes that bodies may hold at once; 0 = no limit */
    public BodyMemory(long limit) {
        this.limit = limit;
    }

    /** Half of the direct memory this JVM may use, at most 256 MiB: room for socket and TLS buffers beside it. */
    public static long defaultLimit() {
        return Math.min(DEFAULT_CAP, PlatformDependent.maxDirectMemory() / 2);
    }

    public static BodyMemory unlimited() {
        return new BodyMemory(0);
    }

    /** Takes {@code bytes} from the budget; false (and nothing taken) when it does not have them. */
    public boolean tryReserve(long bytes) {
        while (true) {
            long now = held.get();
            if (limit > 0 && now + bytes > limit) {
                return false;
            }
            if (held.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    public void release(long bytes) {
        held.addAndGet(-bytes);
    }

    public long limit() {
        return limit;
    }

    public long held() {
        return held.get();
    }

    /** The reason a body was refused, for the caller and the log. */
    public String exhausted() {
        return "bodies already hold this side's memory budget for bodies (" + (limit >> 20)
                + " MiB, --body-memory); try again when calls in progress have finished";
    }
}
