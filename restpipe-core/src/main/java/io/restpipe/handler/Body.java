package io.restpipe.handler;

import io.restpipe.StreamedBody;
import io.restpipe.internal.util.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A request body with its content type ({@code null} when the caller sent none). A large body streams: read it
 * with {@link #stream()} as it arrives, in bounded memory; {@link #bytes()} gathers it whole.
 */
public final class Body {
    private final String contentType;
    private final StreamedBody streamed;
    private byte[] bytes;
    private boolean opened;

    public Body(String contentType, byte[] bytes) {
        this(contentType, bytes, null);
    }

    Body(String contentType, byte[] bytes, StreamedBody streamed) {
        this.contentType = contentType;
        this.bytes = bytes;
        this.streamed = streamed;
    }

    public String contentType() {
        return contentType;
    }

    /** True when the body arrives in pieces rather than at once. */
    public boolean isStreamed() {
        return streamed != null;
    }

    /** The body's length when known, else -1. */
    public long contentLength() {
        return streamed == null ? bytes.length : streamed.contentLength();
    }

    /** The whole body; a streamed one is read to its end first (and can then not be streamed again). */
    public synchronized byte[] bytes() {
        if (bytes == null) {
            try (InputStream in = stream()) {
                bytes = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("request body could not be read: " + e.getMessage(), e);
            }
        }
        return bytes;
    }

    public boolean isEmpty() {
        return streamed == null ? bytes.length == 0 : contentLength() == 0;
    }

    public String text() {
        return new String(bytes(), StandardCharsets.UTF_8);
    }

    /** The body as a stream; for a streamed body, once only, reading blocks until more arrives. */
    public synchronized InputStream stream() {
        if (streamed == null) {
            return new ByteArrayInputStream(bytes);
        }
        if (opened) {
            if (bytes != null) {
                return new ByteArrayInputStream(bytes);
            }
            throw new IllegalStateException("a streamed body can be read once");
        }
        opened = true;
        return streamed.inputStream();
    }

    /** The body decoded from JSON into {@code type}; throws {@link IllegalArgumentException} if it is not valid. */
    public <T> T json(Class<T> type) {
        try {
            return Json.MAPPER.readValue(bytes(), type);
        } catch (IOException e) {
            throw new IllegalArgumentException("request body is not valid JSON for " + type.getSimpleName() + ": "
                    + e.getMessage(), e);
        }
    }
}
