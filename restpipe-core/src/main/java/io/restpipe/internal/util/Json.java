package io.restpipe.internal.util;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The one Jackson mapper that values in events and replies are encoded and decoded with. Thread-safe. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper();
    public static final String CONTENT_TYPE = "application/json";

    private Json() {
    }

    public static byte[] encode(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
