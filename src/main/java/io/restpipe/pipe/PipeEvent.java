package io.restpipe.pipe;

import java.time.Duration;
import java.util.List;

/**
 * A call travelling through the pipe: verb, noun, positional arguments, query, headers and body.
 *
 * @param query   the raw query string without {@code ?}, or empty
 * @param timeout how long the caller will wait for the reply, or {@code null} when it did not say
 */
public record PipeEvent(
        String verb,
        String noun,
        List<String> arguments,
        String query,
        List<HeaderField> headers,
        String contentType,
        byte[] body,
        Duration timeout) {

    public PipeEvent {
        verb = verb.toUpperCase(java.util.Locale.ROOT);
        arguments = List.copyOf(arguments);
        headers = List.copyOf(headers);
        query = query == null ? "" : query;
        body = body == null ? new byte[0] : body;
    }

    /** A bodiless event with no query or headers, the shape most embedded calls take. */
    public static PipeEvent of(String verb, String noun, String... arguments) {
        return new PipeEvent(verb, noun, List.of(arguments), "", List.of(), null, null, null);
    }
}
