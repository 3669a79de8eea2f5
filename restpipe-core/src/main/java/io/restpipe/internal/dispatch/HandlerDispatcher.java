package io.restpipe.internal.dispatch;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.restpipe.FatalErrors;
import io.restpipe.PipeReply;
import io.restpipe.handler.Call;
import io.restpipe.handler.EventHandler;
import io.restpipe.handler.Handlers;
import io.restpipe.internal.call.EventDispatcher;
import io.restpipe.internal.call.IncomingEvent;
import io.restpipe.internal.call.OutboundBody;
import io.restpipe.internal.call.Replier;
import io.restpipe.internal.util.RepeatedLog;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Runs the handler for each incoming event on a worker pool, off the event loops, so a slow handler delays only
 * its own call; events no handler takes go to the fallback (a forward), or get the no-handler reply.
 * Thread-safe.
 */
public final class HandlerDispatcher implements EventDispatcher, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HandlerDispatcher.class);
    private static final int WORKERS = 256;
    private static final int STREAM_PIECE = 64 * 1024;
    /** How long a handler streaming its reply waits for a receiver that takes nothing, before giving up. */
    private static final Duration STALLED_RECEIVER = Duration.ofMinutes(2);

    /** Handler runs waiting for a worker; past it an event is answered 503 at once. */
    static final int MAX_QUEUED = 10_000;
    private static final RepeatedLog failures = new RepeatedLog(log, Level.WARN, Duration.ofSeconds(10));

    private final Handlers handlers;
    private final EventDispatcher fallback;
    private final boolean exposeErrors;
    private final ThreadPoolExecutor workers;

    public HandlerDispatcher(Handlers handlers) {
        this(handlers, null, false);
    }

    /**
     * @param fallback     takes the events no handler takes; {@code null} answers them 404 with code 255
     * @param exposeErrors true to send a failed handler's stack trace to the remote caller (else class and message)
     */
    public HandlerDispatcher(Handlers handlers, EventDispatcher fallback, boolean exposeErrors) {
        this.handlers = handlers;
        this.fallback = fallback;
        this.exposeErrors = exposeErrors;
        this.workers = new ThreadPoolExecutor(WORKERS, WORKERS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(MAX_QUEUED), new DefaultThreadFactory("restpipe-handler", true));
        workers.allowCoreThreadTimeOut(true);
    }

    @Override
    public Future<?> dispatch(IncomingEvent incoming, Replier replier) {
        EventHandler handler = handlers.find(incoming.event().verb(), incoming.event().noun());
        if (handler == null && fallback != null) {
            return fallback.dispatch(incoming, replier);
        }
        AtomicBoolean cancelled = new AtomicBoolean();
        Call call = new Call(incoming.peer(), incoming.event(), incoming.deadline(), cancelled::get);
        if (handler != null && handlers.isNonBlocking(handler) && incoming.event().stream() == null) {
            Outcome outcome = handle(handler, call);
            if (!outcome.isStreamed()) {
                replier.reply(outcome.reply());
                return CompletableFuture.completedFuture(null);
            }
            // A stream to pump may block: that part goes to a worker.
            return submit(new FutureTask<>(() -> {
                deliver(call, outcome, replier);
                return null;
            }), replier);
        }
        FutureTask<Void> task = new FutureTask<>(() -> {
            deliver(call, handle(handler, call), replier);
            return null;
        }) {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                // Marked before FutureTask interrupts the handler, so a handler woken by the interrupt already
                // sees isCancelled() (marking it in done() came after the interrupt: a race).
                if (!isDone()) {
                    cancelled.set(true);
                }
                return super.cancel(mayInterruptIfRunning);
            }
        };
        return submit(task, replier);
    }

    private Future<?> submit(FutureTask<Void> task, Replier replier) {
        try {
            workers.execute(task);
        } catch (RejectedExecutionException full) {
            String why = workers.isShutdown() ? "shutting down" : "too many events waiting for a handler ("
                    + MAX_QUEUED + " queued behind " + WORKERS + " busy workers)";
            failures.log("rejected " + why, "event refused: " + why);
            replier.reply(workers.isShutdown() ? Replies.unavailable(why) : PipeReply.refused(why));
            return CompletableFuture.completedFuture(null);
        }
        return task;
    }

    /** Runs {@code handler} (or answers that there is none) and turns every outcome into a reply. */
    Outcome handle(EventHandler handler, Call call) {
        if (handler == null) {
            failures.log("no handler " + call.verb() + " " + call.noun(),
                    "no handler for " + call.verb() + " " + call.noun() + " from " + call.peer().name());
            return Outcome.inline(Replies.noHandler(call.verb(), call.noun()));
        }
        try {
            return Replies.fromResult(handler.handle(call));
        } catch (Error fatal) {
            FatalErrors.check(fatal);
            throw fatal;
        } catch (Throwable failure) {
            if (call.isCancelled() || failure instanceof InterruptedException) {
                log.debug("handler for {} {} stopped after cancellation", call.verb(), call.noun());
            } else {
                failures.log("failed " + call.verb() + " " + call.noun() + " " + failure,
                        "handler for " + call.verb() + " " + call.noun() + " from " + call.peer().name()
                                + " failed: " + failure);
            }
            return Outcome.inline(Replies.handlerFailed(failure, exposeErrors));
        }
    }

    /** Finds the handler for {@code call} and runs it on the calling thread. */
    Outcome handle(Call call) {
        return handle(handlers.find(call.verb(), call.noun()), call);
    }

    private static void deliver(Call call, Outcome outcome, Replier replier) {
        if (!outcome.isStreamed()) {
            replier.reply(outcome.reply());
            return;
        }
        OutboundBody body = replier.replyStreamed(outcome.reply(), outcome.contentLength());
        String failure = "handler stopped";
        try (InputStream stream = outcome.stream()) {
            while (true) {
                if (!body.hasCredit() && !body.awaitCredit(STALLED_RECEIVER.toNanos())) {
                    log.debug("streamed reply to {} {} stopped: {}", call.verb(), call.noun(),
                            body.abortReason() == null ? "receiver stalled" : body.abortReason());
                    return;
                }
                ByteBuf piece = PooledByteBufAllocator.DEFAULT.heapBuffer(STREAM_PIECE);
                int read;
                try {
                    read = piece.writeBytes(stream, STREAM_PIECE);
                } catch (IOException | RuntimeException e) {
                    piece.release();
                    throw e;
                }
                if (read < 0) {
                    piece.release();
                    body.end();
                    failure = null;
                    return;
                }
                body.write(piece);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Error fatal) {
            FatalErrors.check(fatal);
            throw fatal;
        } catch (IOException | RuntimeException e) {
            failure = "reading the reply stream failed: " + e;
            failures.log("stream failed " + call.verb() + " " + call.noun() + " " + e,
                    "streamed reply to " + call.verb() + " " + call.noun() + " failed: " + e);
        } finally {
            if (failure != null) {
                body.fail(failure);
            }
        }
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }
}
