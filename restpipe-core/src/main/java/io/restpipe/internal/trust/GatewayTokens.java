package io.restpipe.internal.trust;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

/**
 * The callers a gateway lets in (SPEC §11): the lines {@code NAME SHA256-HEX-OF-TOKEN} of a {@code --gateway-auth}
 * file. Only the hashes are kept, so the file gives away no token. Immutable, thread-safe.
 */
public final class GatewayTokens {
    private static final String BEARER = "bearer ";
    private static final HexFormat HEX = HexFormat.of();
    /** One digest per thread: looking the algorithm up for every call costs more than hashing a token. */
    private static final ThreadLocal<MessageDigest> DIGESTS = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    });
    /** SHA-256 of each allowed token (hex, lower case) → the caller's name. */
    private final Map<String, String> callers;

    private GatewayTokens(Map<String, String> callers) {
        this.callers = Map.copyOf(callers);
    }

    public int size() {
        return callers.size();
    }

    /**
     * The name of the caller whose token {@code authorization} (an {@code Authorization} header's value) carries,
     * or {@code null} when it is missing, not a bearer token, or no one's.
     */
    public String authenticate(String authorization) {
        if (authorization == null || authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        String token = authorization.substring(BEARER.length()).trim();
        return token.isEmpty() ? null : callers.get(sha256(token));
    }

    /** SHA-256 of {@code token} in lower-case hex: what a {@code --gateway-auth} line holds for it. */
    public static String sha256(String token) {
        return HEX.formatHex(DIGESTS.get().digest(token.getBytes(StandardCharsets.UTF_8)));
    }


    /**
     * Parses a {@code --gateway-auth} file: one caller a line, {@code NAME SHA256-HEX}; blank lines and lines starting
     * with {@code #} are skipped. A name may have several lines (a token being replaced).
     *
     * @throws IllegalArgumentException naming the line and what is wrong with it
     */
    public static GatewayTokens parse(String text) {
        Map<String, String> callers = new HashMap<>();
        int number = 0;
        for (String line : text.lines().toList()) {
            number++;
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            String[] fields = trimmed.split("\\s+");
            if (fields.length != 2) {
                throw new IllegalArgumentException("line " + number + " has " + fields.length + " field(s); each line "
                        + "is NAME SHA256-HEX-OF-TOKEN (e.g. webapp followed by the output of: printf %s \"$TOKEN\" "
                        + "| sha256sum)");
            }
            String hash = fields[1].toLowerCase(Locale.ROOT);
            if (hash.length() != 64 || !hash.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                throw new IllegalArgumentException("line " + number + ": \"" + fields[1] + "\" is not a SHA-256 in hex "
                        + "(64 characters 0-9a-f); put the token's hash there, never the token itself");
            }
            String other = callers.putIfAbsent(hash, fields[0]);
            if (other != null && !other.equals(fields[0])) {
                throw new IllegalArgumentException("line " + number + ": the token of " + fields[0] + " is also "
                        + other + "'s; give each caller a token of its own");
            }
        }
        return new GatewayTokens(callers);
    }
}
