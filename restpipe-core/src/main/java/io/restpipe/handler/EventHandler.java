package io.restpipe.handler;

/**
 * Answers one kind of event. The return value becomes the reply: a {@link Reply} as it says, a {@code String} or
 * {@code byte[]} or {@code InputStream} as is, {@code null} as an empty body, anything else as JSON.
 * A thrown exception becomes a 500 reply with return code 251; the pipe and other calls go on.
 *
 * <pre>{@code
 * handlers.on("GET", "time", call -> Map.of("now", System.currentTimeMillis()));
 * }</pre>
 */
@FunctionalInterface
public interface EventHandler {
    Object handle(Call call) throws Exception;
}
