package io.restpipe;

import java.time.Duration;
import java.util.List;

/**
 * A call travelling through the pipe: verb, noun, positional arguments, query, headers and body.
 *
 * @param query   the raw query string without {@code ?}, or empty
 * @param body    the whole body when it travels inline; empty when it streams
 * @param timeout how long the caller will wait for the reply, or {@code null} when it did not say
 * @param stream  the streamed body of an incoming event, or {@code null} when the body came inline
 * @param nounPath the noun's path segments as the caller wrote them, decoded: a segment may hold a {@code /} the
 *                 caller percent-encoded, which the noun (the segments joined by {@code /}) no longer shows; a
 *                 forward rebuilds the upstream path from these
 * @param requestId the call's request id (the caller's {@code Idempotency-Key}, or one made for it), the same for
 *                  every re-send of the call; {@code null} until the pipe gives it one as it is sent
 */
public record PipeEvent(
        String verb,
        String noun,
        List<String> arguments,
        String query,
        List<HeaderField> headers,
        String contentType,
        byte[] body,
        Duration timeout,
        StreamedBody stream,
        List<String> nounPath,
        String requestId) {

    public PipeEvent {
        verb = verb.toUpperCase(java.util.Locale.ROOT);
        arguments = List.copyOf(arguments);
        headers = List.copyOf(headers);
        query = query == null ? "" : query;
        body = body == null ? new byte[0] : body;
        nounPath = nounPath == null ? List.of(noun.split("/", -1)) : List.copyOf(nounPath);
    }

    /** An event without a request id yet: the pipe gives it one as it is sent. */
    public PipeEvent(String verb, String noun, List<String> arguments, String query, List<HeaderField> headers,
                     String contentType, byte[] body, Duration timeout, StreamedBody stream, List<String> nounPath) {
        this(verb, noun, arguments, query, headers, contentType, body, timeout, stream, nounPath, null);
    }

    /** An event whose noun's segments are the noun split at each {@code /}. */
    public PipeEvent(String verb, String noun, List<String> arguments, String query, List<HeaderField> headers,
                     String contentType, byte[] body, Duration timeout, StreamedBody stream) {
        this(verb, noun, arguments, query, headers, contentType, body, timeout, stream, null);
    }

    /** A bodiless event with no query or headers, the shape most embedded calls take. */
    public static PipeEvent of(String verb, String noun, String... arguments) {
        return new PipeEvent(verb, noun, List.of(arguments), "", List.of(), null, null, null, null);
    }

    /** This event with its body inline. */
    public PipeEvent withBody(byte[] inline) {
        return new PipeEvent(verb, noun, arguments, query, headers, contentType, inline, timeout, stream, nounPath,
                requestId);
    }

    /** This event with an incoming streamed body attached. */
    public PipeEvent withStream(StreamedBody stream) {
        return new PipeEvent(verb, noun, arguments, query, headers, contentType, body, timeout, stream, nounPath,
                requestId);
    }

    /** This event with the request id {@code id}: the same for every re-send of one call. */
    public PipeEvent withRequestId(String id) {
        return new PipeEvent(verb, noun, arguments, query, headers, contentType, body, timeout, stream, nounPath, id);
    }
}
