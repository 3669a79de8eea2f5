package io.restpipe.handler;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** A request body with its content type ({@code null} when the caller sent none). */
public record Body(String contentType, byte[] bytes) {
    public boolean isEmpty() {
        return bytes.length == 0;
    }

    public String text() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    public InputStream stream() {
        return new ByteArrayInputStream(bytes);
    }

    /** The body decoded from JSON into {@code type}; throws {@link IllegalArgumentException} if it is not valid. */
    public <T> T json(Class<T> type) {
        try {
            return JsonCodec.MAPPER.readValue(bytes, type);
        } catch (IOException e) {
            throw new IllegalArgumentException("request body is not valid JSON for " + type.getSimpleName() + ": "
                    + e.getMessage(), e);
        }
    }
}
