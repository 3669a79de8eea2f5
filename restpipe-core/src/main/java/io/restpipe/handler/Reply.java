package io.restpipe.handler;

import io.restpipe.HeaderField;
import io.restpipe.PipeReply;
import io.restpipe.internal.util.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A handler's full answer: status, content type, headers, return code and body.
 *
 * <pre>{@code
 * return Reply.status(201).header("Location", "/items/7").json(Map.of("id", 7));
 * }</pre>
 */
public final class Reply {
    private int status = 200;
    private int code = PipeReply.CODE_OK;
    private String contentType;
    private final List<HeaderField> headers = new ArrayList<>();
    private byte[] body = new byte[0];
    private java.io.InputStream stream;
    private long streamLength = -1;

    private Reply() {
    }

    public static Reply ok() {
        return new Reply();
    }

    public static Reply status(int status) {
        return new Reply().withStatus(status);
    }

    public Reply withStatus(int status) {
        this.status = status;
        return this;
    }

    /** The event return code sent as {@code X-Event-Return-Code}; 0 means handled. */
    public Reply code(int code) {
        this.code = code;
        return this;
    }

    public Reply contentType(String contentType) {
        this.contentType = contentType;
        return this;
    }

    public Reply header(String name, String value) {
        headers.add(new HeaderField(name, value));
        return this;
    }

    public Reply body(byte[] body) {
        this.body = body == null ? new byte[0] : body;
        return this;
    }

    /** A text body; the content type becomes {@code text/plain; charset=utf-8} unless one was set. */
    public Reply text(String text) {
        if (contentType == null) {
            contentType = "text/plain; charset=utf-8";
        }
        return body(text.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code value} encoded as JSON, with content type {@code application/json}. */
    public Reply json(Object value) {
        contentType = Json.CONTENT_TYPE;
        return body(Json.encode(value));
    }

    /**
     * A body streamed from {@code stream} in bounded memory as the caller takes it ({@code length} bytes, or -1
     * when unknown); the stream is closed at the end.
     */
    public Reply stream(java.io.InputStream stream, long length) {
        this.stream = stream;
        this.streamLength = length;
        if (contentType == null) {
            contentType = "application/octet-stream";
        }
        return this;
    }

    /** The reply as it travels back: status, code, content type, headers, and the body unless it streams. */
    public PipeReply head() {
        return new PipeReply(code, status, contentType, headers, stream == null ? body : null);
    }

    /** Where a streamed body comes from, or {@code null} when the body is inline. */
    public java.io.InputStream bodyStream() {
        return stream;
    }

    /** The streamed body's length, or -1 when unknown or inline. */
    public long bodyStreamLength() {
        return streamLength;
    }
}
