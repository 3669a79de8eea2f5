package io.restpipe.internal.util;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Ids no one can guess or repeat: 128 random bits as 32 hex digits. Thread-safe. */
public final class RandomIds {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private RandomIds() {
    }

    public static String next() {
        byte[] bits = new byte[16];
        RANDOM.nextBytes(bits);
        return HEX.formatHex(bits);
    }
}
