package io.restpipe.internal.call;

import java.util.function.IntPredicate;

/**
 * The ids of the calls one side starts on a pipe: the client's are odd, the server's even, so the two directions
 * never collide; 0 is reserved for frames of no call. After the counter wraps around 2^32 it skips ids still in
 * use by a long-lived call. Thread-safe.
 */
final class CallIds {
    private int next;

    CallIds(boolean clientSide) {
        this.next = clientSide ? 1 : 2;
    }

    /** The next id for which {@code inUse} is false; called with fewer than 2^31 calls in flight. */
    synchronized int next(IntPredicate inUse) {
        while (true) {
            int id = next;
            next += 2;
            if (id != 0 && !inUse.test(id)) {
                return id;
            }
        }
    }
}
