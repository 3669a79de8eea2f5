package io.restpipe.internal.util;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Strict percent-decoding of URL path segments ({@code +} stays {@code +}, unlike form decoding) and the matching
 * encoding. Thread-safe.
 */
public final class PercentCoding {
    private PercentCoding() {
    }

    /** Splits on {@code /} and decodes each segment; throws {@link IllegalArgumentException} on bad escapes. */
    public static List<String> decodeSegments(String path) {
        List<String> segments = new ArrayList<>();
        int start = 0;
        while (true) {
            int slash = path.indexOf('/', start);
            if (slash < 0) {
                segments.add(decode(path.substring(start)));
                return segments;
            }
            segments.add(decode(path.substring(start, slash)));
            start = slash + 1;
        }
    }

    /** Decodes {@code %XX} escapes as UTF-8; throws {@link IllegalArgumentException} naming the bad escape. */
    public static String decode(String segment) {
        if (segment.indexOf('%') < 0) {
            return segment;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(segment.length());
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c != '%') {
                byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
                continue;
            }
            int high = i + 1 < segment.length() ? Character.digit(segment.charAt(i + 1), 16) : -1;
            int low = i + 2 < segment.length() ? Character.digit(segment.charAt(i + 2), 16) : -1;
            if (high < 0 || low < 0) {
                String bad = segment.substring(i, Math.min(segment.length(), i + 3));
                throw new IllegalArgumentException("bad percent-encoding '" + bad + "' in '" + segment + "'");
            }
            bytes.write(high << 4 | low);
            i += 2;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("percent-encoding in '" + segment + "' is not UTF-8");
        }
    }

    /**
     * Encodes a decoded path segment for a request line: the characters a segment may hold as they are (RFC 3986
     * pchar) stay, everything else is escaped, {@code / ? # %} included, so the segment stays one segment.
     */
    public static String encodePathSegment(String value) {
        StringBuilder out = new StringBuilder(value.length() + 8);
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-._~!$&'()*+,;=:@".indexOf(c) >= 0) {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    /** Encodes everything but unreserved characters, so the result is one safe path segment. */
    public static String encodeSegment(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
