package io.restpipe.handler;

import io.netty.util.concurrent.DefaultThreadFactory;
import io.restpipe.pipe.EventDispatcher;
import io.restpipe.pipe.IncomingEvent;
import io.restpipe.pipe.PipeReply;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the handler for each incoming event on a worker pool, off the event loops, so a slow handler delays only
 * its own call. Thread-safe.
 */
public final class HandlerDispatcher implements EventDispatcher, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HandlerDispatcher.class);
    private static final int WORKERS = 256;

    private final Handlers handlers;
    private final ThreadPoolExecutor workers;

    public HandlerDispatcher(Handlers handlers) {
        this.handlers = handlers;
        this.workers = new ThreadPoolExecutor(WORKERS, WORKERS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                new DefaultThreadFactory("restpipe-handler", true));
        workers.allowCoreThreadTimeOut(true);
    }

    @Override
    public Future<?> dispatch(IncomingEvent incoming, Consumer<PipeReply> replier) {
        Call call = new Call(incoming.peer(), incoming.event(), incoming.deadline());
        FutureTask<Void> task = new FutureTask<>(() -> {
            replier.accept(handle(call));
            return null;
        }) {
            @Override
            protected void done() {
                if (isCancelled()) {
                    call.markCancelled();
                }
            }
        };
        try {
            workers.execute(task);
        } catch (RejectedExecutionException shuttingDown) {
            replier.accept(Replies.unavailable("shutting down"));
            return CompletableFuture.completedFuture(null);
        }
        return task;
    }

    /** Finds and runs the handler for {@code call} on the calling thread, turning every outcome into a reply. */
    PipeReply handle(Call call) {
        EventHandler handler = handlers.find(call.verb(), call.noun());
        if (handler == null) {
            log.warn("no handler for {} {} from {}", call.verb(), call.noun(), call.peer().name());
            return Replies.noHandler(call.verb(), call.noun());
        }
        try {
            return Replies.fromResult(handler.handle(call));
        } catch (Throwable failure) {
            if (call.isCancelled() || failure instanceof InterruptedException) {
                log.debug("handler for {} {} stopped after cancellation", call.verb(), call.noun());
            } else {
                log.warn("handler for {} {} from {} failed: {}", call.verb(), call.noun(), call.peer().name(),
                        failure.toString());
            }
            return Replies.handlerFailed(failure);
        }
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }
}
