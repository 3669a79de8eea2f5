package io.restpipe.internal.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.restpipe.GatewayLimits;
import io.restpipe.HeaderField;
import io.restpipe.PipeException;
import io.restpipe.PipeReply;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;

/**
 * The one table from call outcomes to HTTP responses: a reply keeps its status and gains
 * {@code X-Event-Return-Code}; a transport failure becomes a JSON error with the status of the table below.
 *
 * <table>
 *   <tr><td>target not found</td><td>404</td></tr>
 *   <tr><td>several clients at the target address</td><td>409</td></tr>
 *   <tr><td>pipe down / target not connected after the connect wait</td><td>503</td></tr>
 *   <tr><td>no reply before the deadline</td><td>504</td></tr>
 *   <tr><td>malformed request</td><td>400</td></tr>
 * </table>
 */
final class HttpResponses {
    static final String RETURN_CODE_HEADER = "X-Event-Return-Code";
    static final String JSON = "application/json";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private HttpResponses() {
    }

    /**
     * Builds and drops one error response, so that Jackson sets itself up at start-up (a quarter of a second) rather
     * than on an event loop in front of the first failed call.
     */
    static void warmUp() {
        error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "warm-up").release();
    }

    static FullHttpResponse fromReply(PipeReply reply) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(reply.status()), Unpooled.wrappedBuffer(reply.body()));
        copyReplyHeaders(reply, response.headers());
        return response;
    }

    /** The reply's headers (minus hop-by-hop ones), its content type and {@code X-Event-Return-Code}. */
    static void copyReplyHeaders(PipeReply reply, HttpHeaders headers) {
        for (HeaderField header : reply.headers()) {
            if (!HopByHop.isHopByHop(header.name())) {
                headers.add(header.name(), header.value());
            }
        }
        if (reply.contentType() != null) {
            headers.set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
        }
        headers.set(RETURN_CODE_HEADER, reply.code());
    }

    static FullHttpResponse fromFailure(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof PipeException pipe) {
            HttpResponseStatus status = switch (pipe.kind()) {
                case NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
                case AMBIGUOUS -> HttpResponseStatus.CONFLICT;
                case UNAVAILABLE -> HttpResponseStatus.SERVICE_UNAVAILABLE;
                case DEADLINE_EXCEEDED -> HttpResponseStatus.GATEWAY_TIMEOUT;
                case TOO_LARGE -> HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
                case FORBIDDEN -> HttpResponseStatus.FORBIDDEN;
            };
            return error(status, pipe.getMessage());
        }
        if (cause instanceof IllegalArgumentException) {
            return error(HttpResponseStatus.BAD_REQUEST, cause.getMessage());
        }
        if (cause instanceof CancellationException) {
            return error(HttpResponseStatus.SERVICE_UNAVAILABLE, "call cancelled");
        }
        return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error: " + cause);
    }

    /** The answer to a request the decoder could not read: 414, 431 or 400, naming what was wrong. */
    static FullHttpResponse malformed(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return error(HttpResponseStatus.REQUEST_URI_TOO_LONG, "the request line is over "
                    + GatewayLimits.MAX_REQUEST_LINE + " bytes");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return error(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "the request's headers are over the limit (--max-header-bytes)");
        }
        return error(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request: " + cause.getMessage());
    }

    static FullHttpResponse error(HttpResponseStatus status, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        body.put("status", status.code());
        return json(status, body);
    }

    static FullHttpResponse json(HttpResponseStatus status, Object value) {
        try {
            return body(status, JSON, MAPPER.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static FullHttpResponse text(HttpResponseStatus status, String contentType, String text) {
        return body(status, contentType, text.getBytes(StandardCharsets.UTF_8));
    }

    private static FullHttpResponse body(HttpResponseStatus status, String contentType, byte[] bytes) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(bytes));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        return response;
    }
}
