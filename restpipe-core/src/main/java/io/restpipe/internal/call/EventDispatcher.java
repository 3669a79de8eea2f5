package io.restpipe.internal.call;

import java.util.concurrent.Future;

/** Where a pipe hands the events its peer sends; implemented by the handler layer. */
public interface EventDispatcher {
    /**
     * Starts handling {@code event} without blocking the calling thread (an event loop) and returns at once.
     *
     * @param replier takes the reply, exactly once, unless the returned future was cancelled first
     * @return a handle whose {@code cancel(true)} stops the handler when the caller gives up
     */
    Future<?> dispatch(IncomingEvent event, Replier replier);
}
