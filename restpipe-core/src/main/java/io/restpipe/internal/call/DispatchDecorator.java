package io.restpipe.internal.call;

import java.util.List;
import java.util.concurrent.Future;

/**
 * Wraps the dispatch of every event a peer sends: sees it before its handler, and may answer it itself instead of
 * passing it on (authorization, logging, limits plug in here). Called on the link's event loop: do not block.
 */
@FunctionalInterface
public interface DispatchDecorator {
    /** Handles {@code event}, usually by passing it on to {@code next}; see {@link EventDispatcher#dispatch}. */
    Future<?> dispatch(IncomingEvent event, Replier replier, EventDispatcher next);

    /** {@code dispatcher} wrapped in {@code decorators}, the first one outermost. */
    static EventDispatcher around(EventDispatcher dispatcher, List<DispatchDecorator> decorators) {
        EventDispatcher decorated = dispatcher;
        for (int i = decorators.size() - 1; i >= 0; i--) {
            DispatchDecorator decorator = decorators.get(i);
            EventDispatcher next = decorated;
            decorated = (event, replier) -> decorator.dispatch(event, replier, next);
        }
        return decorated;
    }
}
