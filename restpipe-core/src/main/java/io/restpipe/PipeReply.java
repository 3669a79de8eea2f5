package io.restpipe;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The answer to a {@link PipeEvent}.
 *
 * @param code   the event return code: 0 handled, 255 no handler, 251 the handler threw, 252 the upstream of a
 *               forward failed, 253 refused unrun because the executing side was at one of its limits, 254 denied
 *               by the executing side's access policy
 * @param status the HTTP status the gateway answers with
 * @param body   the whole body when it came inline; empty when it streams
 * @param stream the streamed body, or {@code null} when the body came inline
 */
public record PipeReply(int code, int status, String contentType, List<HeaderField> headers, byte[] body,
                        StreamedBody stream) {
    public static final int CODE_OK = 0;
    public static final int CODE_HANDLER_FAILED = 251;
    public static final int CODE_UPSTREAM_FAILED = 252;
    public static final int CODE_REFUSED = 253;
    /** The executing side's access policy denied the event (HTTP 403). */
    public static final int CODE_DENIED = 254;
    public static final int CODE_NO_HANDLER = 255;

    public PipeReply {
        headers = List.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    /** A reply with its whole body inline. */
    public PipeReply(int code, int status, String contentType, List<HeaderField> headers, byte[] body) {
        this(code, status, contentType, headers, body, null);
    }

    /** A reply with a JSON body {@code {"error": message}}. */
    public static PipeReply error(int code, int status, String message) {
        String json = "{\"error\":\"" + new String(JsonStringEncoder.getInstance().quoteAsString(message)) + "\"}";
        return new PipeReply(code, status, "application/json", List.of(), json.getBytes(StandardCharsets.UTF_8));
    }

    /** The 503 of a call refused before it ran, because the executing side was at one of its limits. */
    public static PipeReply refused(String why) {
        return error(CODE_REFUSED, 503, why);
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
