package io.restpipe.handler;

/**
 * A class loaded by {@code --handler} that registers its handlers itself.
 *
 * <pre>{@code
 * public class FileHandlers implements HandlerModule {
 *     public void register(Handlers handlers) { handlers.on("GET", "file", call -> ...); }
 * }
 * }</pre>
 */
public interface HandlerModule {
    void register(Handlers handlers);
}
