package io.restpipe.internal.gateway;

import java.util.concurrent.atomic.AtomicInteger;

/** Caps the calls a gateway has in flight at once, so a burst of callers cannot exhaust memory. Thread-safe. */
final class CallBudget {
    private final int max;
    private final AtomicInteger inFlight = new AtomicInteger();

    /** @param max calls allowed at once; 0 for no limit */
    CallBudget(int max) {
        this.max = max;
    }

    /** Takes a place for one call; false when the gateway is full. */
    boolean tryAcquire() {
        if (inFlight.incrementAndGet() > max && max > 0) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    void release() {
        inFlight.decrementAndGet();
    }

    int max() {
        return max;
    }
}
