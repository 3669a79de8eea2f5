package io.restpipe.internal.util;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses durations written as {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h} (a bare number is seconds). */
public final class Durations {
    private static final Pattern FORMAT = Pattern.compile("(\\d+)(ms|s|m|h)?");

    private Durations() {
    }

    /** Throws {@link IllegalArgumentException} naming the accepted forms when {@code text} is none of them. */
    public static Duration parse(String text) {
        Matcher matcher = FORMAT.matcher(text.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (write e.g. 250ms, 5s, 2m, 1h)");
        }
        String unit = matcher.group(2) == null ? "s" : matcher.group(2);
        try {
            long amount = Long.parseLong(matcher.group(1));
            return switch (unit) {
                case "ms" -> Duration.ofMillis(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofSeconds(amount);
            };
        } catch (NumberFormatException | ArithmeticException tooLong) {
            throw new IllegalArgumentException("'" + text + "' is too long a duration");
        }
    }

    /** The short form {@link #parse} reads back, for logs and help. */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis % 60_000 == 0 && millis > 0) {
            return millis / 60_000 + "m";
        }
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }
}
