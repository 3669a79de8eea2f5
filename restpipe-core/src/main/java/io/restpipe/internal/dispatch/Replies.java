package io.restpipe.internal.dispatch;

import io.restpipe.PipeReply;
import io.restpipe.handler.Reply;
import io.restpipe.internal.util.Json;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns what a handler returned or threw, or a failed forward, into the reply sent back through the pipe. */
public final class Replies {
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String BINARY = "application/octet-stream";

    private Replies() {
    }

    static Outcome fromResult(Object result) {
        if (result == null) {
            return Outcome.inline(new PipeReply(PipeReply.CODE_OK, 200, null, List.of(), null));
        }
        if (result instanceof Reply reply) {
            return reply.bodyStream() == null ? Outcome.inline(reply.head())
                    : new Outcome(reply.head(), reply.bodyStream(), reply.bodyStreamLength());
        }
        if (result instanceof PipeReply reply) {
            return Outcome.inline(reply);
        }
        if (result instanceof String text) {
            return Outcome.inline(ok(TEXT, text.getBytes(StandardCharsets.UTF_8)));
        }
        if (result instanceof byte[] bytes) {
            return Outcome.inline(ok(BINARY, bytes));
        }
        if (result instanceof InputStream stream) {
            return new Outcome(ok(BINARY, null), stream, -1);
        }
        return Outcome.inline(ok(Json.CONTENT_TYPE, Json.encode(result)));
    }

    static PipeReply noHandler(String verb, String noun) {
        return error(PipeReply.CODE_NO_HANDLER, 404, Map.of("error", "no handler for " + verb + " " + noun,
                "verb", verb, "noun", noun));
    }

    /** @param withTraceback true to include the stack trace, which tells a remote caller about our code */
    static PipeReply handlerFailed(Throwable failure, boolean withTraceback) {
        Map<String, Object> exception = new LinkedHashMap<>();
        exception.put("message", failure.getMessage());
        if (withTraceback) {
            StringWriter traceback = new StringWriter();
            failure.printStackTrace(new PrintWriter(traceback));
            exception.put("traceback", traceback.toString());
        }
        exception.put("class", failure.getClass().getName());
        return error(PipeReply.CODE_HANDLER_FAILED, 500, Map.of("exception", exception));
    }

    static PipeReply unavailable(String why) {
        return error(PipeReply.CODE_HANDLER_FAILED, 503, Map.of("error", why));
    }

    /** The reply of a forward whose upstream failed: 502 when unreachable, 504 when too slow. */
    public static PipeReply upstreamFailed(int status, String why) {
        return error(PipeReply.CODE_UPSTREAM_FAILED, status, Map.of("error", why));
    }

    private static PipeReply ok(String contentType, byte[] body) {
        return new PipeReply(PipeReply.CODE_OK, 200, contentType, List.of(), body);
    }

    private static PipeReply error(int code, int status, Map<String, ?> body) {
        return new PipeReply(code, status, Json.CONTENT_TYPE, List.of(), Json.encode(body));
    }
}
