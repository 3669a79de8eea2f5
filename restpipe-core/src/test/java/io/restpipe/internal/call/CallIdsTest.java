package io.restpipe.internal.call;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The ids one side gives its calls: odd for the client, even for the server, never 0, and after the counter wraps
 * around 2^32 never one still in use. The counter is brought near the wrap by drawing: one {@link CallIds#next} call
 * whose predicate calls every id below the mark "in use" walks it there in a single loop.
 */
@Timeout(60)
class CallIdsTest {
    /** Ids at or above this (unsigned) are the last few before the counter wraps. */
    private static final int NEAR_THE_WRAP = 0xFFFF_FFF0;

    @Test
    void clientIdsAreOddFromOne() {
        CallIds ids = new CallIds(true);
        assertThat(draw(ids, 4, id -> false)).containsExactly(1, 3, 5, 7);
    }

    @Test
    void serverIdsAreEvenFromTwo() {
        CallIds ids = new CallIds(false);
        assertThat(draw(ids, 4, id -> false)).containsExactly(2, 4, 6, 8);
    }

    @Test
    void idsInUseAreSkippedBeforeTheCounterWraps() {
        CallIds ids = new CallIds(true);
        Set<Integer> inUse = Set.of(3, 5);
        assertThat(draw(ids, 3, inUse::contains)).containsExactly(1, 7, 9);
    }

    @Test
    void clientIdsWrapFromTheLastOddIdToOneAndSkipThoseStillInUse() {
        CallIds ids = new CallIds(true);
        int first = walkNearTheWrap(ids);
        assertThat(Integer.toUnsignedString(first)).isEqualTo(Integer.toUnsignedString(0xFFFF_FFF1));

        // 0xFFFFFFF3 .. 0xFFFFFFFF, then 1, 3 and 5 are held by long-lived calls: the next free one is 7.
        Set<Integer> inUse = Set.of(1, 3, 5);
        List<Integer> next = draw(ids, 8, inUse::contains);
        assertThat(next).containsExactly(0xFFFF_FFF3, 0xFFFF_FFF5, 0xFFFF_FFF7, 0xFFFF_FFF9, 0xFFFF_FFFB,
                0xFFFF_FFFD, 0xFFFF_FFFF, 7);
    }

    @Test
    void serverIdsWrapPastZeroWhichIsNeverUsed() {
        CallIds ids = new CallIds(false);
        int first = walkNearTheWrap(ids);
        assertThat(Integer.toUnsignedString(first)).isEqualTo(Integer.toUnsignedString(0xFFFF_FFF0));

        // 0xFFFFFFF2 .. 0xFFFFFFFE, then the counter passes 0 (frames of no call) and 2 is held: 4.
        List<Integer> next = draw(ids, 8, id -> id == 2);
        assertThat(next).containsExactly(0xFFFF_FFF2, 0xFFFF_FFF4, 0xFFFF_FFF6, 0xFFFF_FFF8, 0xFFFF_FFFA,
                0xFFFF_FFFC, 0xFFFF_FFFE, 4);
    }

    @Test
    void zeroIsNeverGivenEvenWhenNothingIsInUse() {
        CallIds ids = new CallIds(false);
        walkNearTheWrap(ids);
        List<Integer> next = draw(ids, 9, id -> false);
        assertThat(next).doesNotContain(0).endsWith(0xFFFF_FFFE, 2, 4);
    }

    /** Draws the first id at or past {@link #NEAR_THE_WRAP}, calling every id below it in use. */
    private static int walkNearTheWrap(CallIds ids) {
        return ids.next(id -> Integer.compareUnsigned(id, NEAR_THE_WRAP) < 0);
    }

    private static List<Integer> draw(CallIds ids, int count, java.util.function.IntPredicate inUse) {
        List<Integer> drawn = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            drawn.add(ids.next(inUse));
        }
        return drawn;
    }
}
