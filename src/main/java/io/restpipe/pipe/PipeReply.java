package io.restpipe.pipe;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The answer to a {@link PipeEvent}.
 *
 * @param code   the event return code: 0 handled, 255 no handler, 251 the handler threw
 * @param status the HTTP status the gateway answers with
 */
public record PipeReply(int code, int status, String contentType, List<HeaderField> headers, byte[] body) {
    public static final int CODE_OK = 0;
    public static final int CODE_HANDLER_FAILED = 251;
    public static final int CODE_NO_HANDLER = 255;

    public PipeReply {
        headers = List.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
