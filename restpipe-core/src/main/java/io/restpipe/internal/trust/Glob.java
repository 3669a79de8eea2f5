package io.restpipe.internal.trust;

import java.util.regex.Pattern;

/**
 * One pattern of an access rule. In a name {@code *} matches any characters; in a noun {@code *} stays within one
 * {@code /} segment and {@code **} crosses segments. A pattern without {@code *} is compared as it is. Immutable.
 */
final class Glob {
    private final String pattern;
    /** Null when the pattern has no wildcard, and matching is plain equality. */
    private final Pattern regex;
    /** Whether it matches everything ({@code *} in a name, {@code **}), which needs no regex at call time. */
    private final boolean matchesAll;

    private Glob(String pattern, Pattern regex) {
        this.pattern = pattern;
        this.regex = regex;
        this.matchesAll = regex != null && regex.pattern().equals(".*");
    }

    /** A glob over names ({@code client:files-*}): {@code *} matches any characters, slashes included. */
    static Glob name(String pattern) {
        return new Glob(pattern, pattern.indexOf('*') < 0 ? null : compile(pattern, false));
    }

    /** A glob over nouns ({@code file/**}): {@code *} within one segment, {@code **} across them. */
    static Glob noun(String pattern) {
        return new Glob(pattern, pattern.indexOf('*') < 0 ? null : compile(pattern, true));
    }

    boolean matches(String text) {
        if (matchesAll) {
            return true;
        }
        return regex == null ? pattern.equals(text) : regex.matcher(text).matches();
    }

    @Override
    public String toString() {
        return pattern;
    }

    private static Pattern compile(String pattern, boolean segments) {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c != '*') {
                literal.append(c);
                continue;
            }
            if (!literal.isEmpty()) {
                regex.append(Pattern.quote(literal.toString()));
                literal.setLength(0);
            }
            boolean across = i + 1 < pattern.length() && pattern.charAt(i + 1) == '*';
            if (across) {
                i++;
            }
            regex.append(!segments || across ? ".*" : "[^/]*");
        }
        if (!literal.isEmpty()) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }
}
