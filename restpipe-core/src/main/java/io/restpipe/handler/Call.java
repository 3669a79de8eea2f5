package io.restpipe.handler;

import io.restpipe.HeaderField;
import io.restpipe.PeerInfo;
import io.restpipe.PipeEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * What a handler is told about the call it answers: who called, verb, noun, arguments, query, headers, body and
 * deadline.
 *
 * <pre>{@code
 * handlers.on("GET", "file", call -> Files.readAllBytes(root.resolve(call.argument(0))));
 * }</pre>
 */
public final class Call {
    private final PeerInfo peer;
    private final PipeEvent event;
    private final Instant deadline;
    private final BooleanSupplier cancelled;
    private Body body;

    /** A call that is never cancelled, e.g. for a test of a handler. */
    public Call(PeerInfo peer, PipeEvent event, Instant deadline) {
        this(peer, event, deadline, () -> false);
    }

    /** @param cancelled tells whether the caller has given up (what {@link #isCancelled()} answers) */
    public Call(PeerInfo peer, PipeEvent event, Instant deadline, BooleanSupplier cancelled) {
        this.peer = peer;
        this.event = event;
        this.deadline = deadline;
        this.cancelled = cancelled;
    }

    /** The other side: its certificate name and address. */
    public PeerInfo peer() {
        return peer;
    }

    /** The verb, uppercase. */
    public String verb() {
        return event.verb();
    }

    public String noun() {
        return event.noun();
    }

    public List<String> arguments() {
        return event.arguments();
    }

    /** The positional argument at {@code index}, or {@code null} if the caller gave fewer. */
    public String argument(int index) {
        return index < event.arguments().size() ? event.arguments().get(index) : null;
    }

    /** The raw query string, without {@code ?}; empty when there is none. */
    public String query() {
        return event.query();
    }

    /** The query decoded into parameters, in order; a parameter without a value maps to an empty string. */
    public Map<String, List<String>> queryParameters() {
        Map<String, List<String>> parameters = new LinkedHashMap<>();
        if (event.query().isEmpty()) {
            return parameters;
        }
        for (String pair : event.query().split("&")) {
            int equals = pair.indexOf('=');
            String name = decodeQuery(equals < 0 ? pair : pair.substring(0, equals));
            String value = equals < 0 ? "" : decodeQuery(pair.substring(equals + 1));
            parameters.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
        }
        return parameters;
    }

    /**
     * The call's request id: the caller's {@code Idempotency-Key}, or one made for the call; the same for every
     * re-send of it, so a handler with side effects can key them on it.
     */
    public String requestId() {
        return event.requestId();
    }

    public List<HeaderField> headers() {
        return event.headers();
    }

    /** The first header named {@code name}, case-insensitive. */
    public Optional<String> header(String name) {
        return event.headers().stream().filter(h -> h.name().equalsIgnoreCase(name)).map(HeaderField::value)
                .findFirst();
    }

    /** The request body; the same object on every call, so a streamed body is read once. */
    public synchronized Body body() {
        if (body == null) {
            body = event.stream() == null ? new Body(event.contentType(), event.body())
                    : new Body(event.contentType(), null, event.stream());
        }
        return body;
    }

    /** When the caller stops waiting, or {@code null} if it gave no deadline. */
    public Instant deadline() {
        return deadline;
    }

    /** The time left until the deadline (never negative), or {@code null} without a deadline. */
    public Duration remaining() {
        if (deadline == null) {
            return null;
        }
        Duration left = Duration.between(Instant.now(), deadline);
        return left.isNegative() ? Duration.ZERO : left;
    }

    /** True once the caller gave up (hung up or its deadline passed); the handler thread is also interrupted. */
    public boolean isCancelled() {
        return cancelled.getAsBoolean();
    }

    private static String decodeQuery(String text) {
        return java.net.URLDecoder.decode(text, StandardCharsets.UTF_8);
    }
}
