package io.restpipe.internal.call;

import io.restpipe.internal.util.RandomIds;

/**
 * Request ids (SPEC §10): what a caller gives as {@code Idempotency-Key}, or 128 random bits made for a call that
 * came without one. Thread-safe.
 */
public final class RequestIds {
    /** The longest key a caller may give: enough for a UUID or a hash, short enough to keep in a table. */
    public static final int MAX_LENGTH = 255;
    private RequestIds() {
    }

    /** A new id, 32 hex digits. */
    public static String next() {
        return RandomIds.next();
    }

    /**
     * {@code key} as a request id.
     *
     * @throws IllegalArgumentException when it is empty, longer than {@link #MAX_LENGTH}, or holds anything but
     *                                  visible ASCII
     */
    public static String fromCaller(String key) {
        String id = key.strip();
        if (id.isEmpty() || id.length() > MAX_LENGTH || !id.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw new IllegalArgumentException("Idempotency-Key must be 1 to " + MAX_LENGTH + " visible ASCII "
                    + "characters (no spaces)");
        }
        return id;
    }
}
