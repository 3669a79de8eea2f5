package io.restpipe.internal.call;

import io.netty.buffer.ByteBufUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.restpipe.PeerInfo;
import io.restpipe.PipeEvent;
import io.restpipe.PipeException;
import io.restpipe.PipeReply;
import io.restpipe.PipeSettings;
import io.restpipe.internal.metrics.PipeMetrics;
import io.restpipe.internal.util.RepeatedLog;
import io.restpipe.internal.wire.BodyChunkFrame;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameException;
import io.restpipe.internal.wire.FrameReceiver;
import io.restpipe.internal.wire.FrameSink;
import io.restpipe.internal.wire.WireMapping;
import io.restpipe.internal.wire.proto.Cancel;
import io.restpipe.internal.wire.proto.Credit;
import io.restpipe.internal.wire.proto.Event;
import io.restpipe.internal.wire.proto.EventReply;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The calls between this side and one peer, in both directions: sends calls and matches their replies by id,
 * streams bodies under credit, hands the peer's events to the dispatcher, and refuses or slows down a peer past its
 * limits. It writes to the link it is {@linkplain #attach attached} to and can be attached to the next link when the
 * peer comes back; until calls survive a dropped link, a link that ends fails or cancels what was in flight on it.
 *
 * <p>Thread-safe: {@link #call} and {@link #start} may be used from any thread; frames arrive on the link's event
 * loop.
 */
public final class PeerCalls implements FrameReceiver {
    private static final Logger log = LoggerFactory.getLogger(PeerCalls.class);
    private static final RepeatedLog refusals = new RepeatedLog(log, Level.WARN, Duration.ofSeconds(10));
    private static final Duration OVER_LIMIT_PAUSE = Duration.ofSeconds(1);
    private static final int REFUSALS_BEFORE_PAUSE = 100;

    private volatile PeerInfo peer;
    private final boolean clientSide;
    private final EventDispatcher dispatcher;
    private final PipeSettings settings;
    private final PipeMetrics metrics;
    private final BodyMemory bodyMemory;
    private final CallIds ids;
    private final Map<Integer, OutboundCall> outbound = new ConcurrentHashMap<>();
    private final Map<Integer, InboundCall> inbound = new ConcurrentHashMap<>();
    private volatile FrameSink link;
    /** A v1 peer never says hello; until a v2 client does, the server writes to it the v1 way. */
    private volatile boolean v1Peer;
    /** Not reading from the peer, which sent calls past its limit; see {@link #slowDown}. */
    private volatile boolean slowedDown;
    /** The peer was slowed down for crossing its limit of calls in flight: reading resumes once it is back under. */
    private volatile boolean overCallLimit;
    /** When the current second of counting refusals began, and how many there were in it. */
    private final long[] refusalWindow = {Long.MIN_VALUE / 2, 0};

    public PeerCalls(PeerInfo peer, boolean clientSide, EventDispatcher dispatcher, PipeSettings settings,
                     PipeMetrics metrics, BodyMemory bodyMemory) {
        this.peer = peer;
        this.clientSide = clientSide;
        this.dispatcher = dispatcher;
        this.settings = settings;
        this.metrics = metrics;
        this.bodyMemory = bodyMemory;
        this.ids = new CallIds(clientSide);
    }

    /**
     * From now on, calls go out through {@code sink}, a new link to the same peer, now at {@code peer}; on the
     * link's event loop.
     */
    public void attach(FrameSink sink, PeerInfo peer) {
        this.peer = peer;
        this.v1Peer = !clientSide;
        this.slowedDown = false;
        this.link = sink;
    }

    public PeerInfo peer() {
        return peer;
    }

    /** Calls in flight in both directions, including bodies still streaming. */
    public int inFlight() {
        return outbound.size() + inbound.size();
    }

    /** True while attached to a link that is open and not going away. */
    public boolean isAvailable() {
        FrameSink sink = link;
        return sink != null && sink.isOpen();
    }

    /** Sends {@code event} with its body inline; see {@link #start}. */
    public CompletableFuture<PipeReply> call(PipeEvent event, Duration timeout) {
        return start(event, timeout, false, -1).reply();
    }

    /**
     * Sends {@code event} and returns the call: its reply completes with the peer's reply (whose body may stream),
     * or fails with {@link PipeException}: unavailable if the link is or goes down, deadline exceeded when no reply
     * head came within {@code timeout} (the peer is then told to cancel). Cancelling the reply future also tells
     * the peer to cancel.
     *
     * @param streamBody    true when the request body follows through {@link PipeCall#requestBody()}
     * @param contentLength the streamed body's total length, or -1 when unknown
     */
    public PipeCall start(PipeEvent event, Duration timeout, boolean streamBody, long contentLength) {
        CompletableFuture<PipeReply> reply = new CompletableFuture<>();
        FrameSink sink = link;
        if (sink == null || !sink.isOpen()) {
            reply.completeExceptionally(unavailable(sink));
            return new PipeCall(null, reply);
        }
        if (streamBody && v1Peer) {
            reply.completeExceptionally(new PipeException(PipeException.Kind.TOO_LARGE,
                    peer.name() + " speaks protocol v1, which cannot take a streamed request body"));
            return new PipeCall(null, reply);
        }
        if (outbound.size() >= settings.maxPipeCalls()) {
            reply.completeExceptionally(new PipeException(PipeException.Kind.UNAVAILABLE, "too many calls in flight to "
                    + peer.name() + " (limit " + settings.maxPipeCalls() + " per pipe, --max-pipe-calls)"));
            return new PipeCall(null, reply);
        }
        if (streamBody && !bodyMemory.tryReserve(BodyMemory.STREAM_WINDOW)) {
            reply.completeExceptionally(new PipeException(PipeException.Kind.UNAVAILABLE, bodyMemory.exhausted()));
            return new PipeCall(null, reply);
        }
        int id = ids.next(outbound::containsKey);
        OutboundCall call = new OutboundCall(event.verb(), reply, System.nanoTime(), sink);
        if (streamBody) {
            call.requestBody = new OutboundBody(sink, id, false, this::releaseWindow, null);
        }
        outbound.put(id, call);
        metrics.callStarted();
        // Every call carries a request id, so the executing side can tell a re-send from a new call.
        PipeEvent identified = event.requestId() != null ? event : event.withRequestId(RequestIds.next());
        Event wire = WireMapping.toWire(identified, v1Peer, timeout, streamBody, contentLength);
        sink.executor().execute(() -> {
            if (reply.isDone()) {
                return;
            }
            call.timer = sink.executor().schedule(() -> deadlinePassed(id, timeout),
                    timeout.toNanos(), TimeUnit.NANOSECONDS);
            sink.send(Frame.of(id, wire)).addListener(written -> {
                if (!written.isSuccess()) {
                    failOutbound(id, unavailable(sink), "unavailable");
                }
            });
        });
        reply.whenComplete((ok, error) -> {
            if (error instanceof CancellationException && removeOutbound(id) != null) {
                metrics.eventFailed(call.verb, "cancelled");
                call.abortBodies("caller cancelled");
                call.sink.send(Frame.of(id, Cancel.newBuilder().setReason("caller cancelled").build()));
            }
        });
        return new PipeCall(call.requestBody, reply);
    }

    @Override
    public void frameArrived(Object msg) {
        if (msg instanceof BodyChunkFrame chunk) {
            chunkArrived(chunk);
            return;
        }
        if (!(msg instanceof Frame frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        switch (frame.type()) {
            case EVENT -> eventArrived(frame.id(), frame.as(Event.class));
            case EVENT_REPLY -> replyArrived(frame.id(), frame.as(EventReply.class));
            case CREDIT -> creditArrived(frame.id(), frame.as(Credit.class));
            case CANCEL -> cancelArrived(frame.id(), frame.as(Cancel.class).getReason());
            case HELLO -> v1Peer = false;
            default -> throw new FrameException("unexpected " + frame.type() + " frame");
        }
    }

    private void eventArrived(int id, Event wire) {
        if (wire.getVersion() < WireMapping.PROTOCOL_VERSION) {
            v1Peer = true;
        }
        FrameSink sink = link;
        String refusal = refusal(wire);
        if (refusal != null) {
            // Chunks of a refused body find no call and are dropped as they arrive.
            refusals.log("refused " + peer.name() + refusal, "refusing a call from " + peer.name() + ": " + refusal);
            refused();
            metrics.eventReceived(wire.getVerb().toUpperCase(java.util.Locale.ROOT), PipeReply.CODE_REFUSED);
            sink.send(Frame.of(id, WireMapping.toWire(PipeReply.refused(refusal), false, -1)));
            return;
        }
        InboundCall call = new InboundCall(sink);
        PipeEvent event = WireMapping.fromWire(wire);
        if (wire.getBodyFollows()) {
            call.requestBody = new InboundBody(sink, id, false,
                    wire.hasContentLength() ? wire.getContentLength() : -1, bodyMemory, reason -> { });
            event = event.withStream(call.requestBody);
        }
        Instant deadline = event.timeout() == null ? null : Instant.now().plus(event.timeout());
        if (inbound.putIfAbsent(id, call) != null) {
            if (call.requestBody != null) {
                call.requestBody.abort("a second call with the same id");
            }
            throw new FrameException("call #" + Integer.toUnsignedString(id) + " arrived while a call with that id is "
                    + "still in flight");
        }
        String verb = event.verb();
        Replier replier = new Replier() {
            @Override
            public void reply(PipeReply reply) {
                if (call.answered.compareAndSet(false, true) && inbound.remove(id, call)) {
                    metrics.eventReceived(verb, reply.code());
                    call.discardRequestBody();
                    sink.send(Frame.of(id, WireMapping.toWire(reply, false, -1)));
                    if (reply.code() == PipeReply.CODE_REFUSED) {
                        refused();
                    } else {
                        inboundEnded();
                    }
                }
            }

            @Override
            public OutboundBody replyStreamed(PipeReply head, long contentLength) {
                if (!call.answered.compareAndSet(false, true) || !inbound.containsKey(id)) {
                    return abandonedBody(sink, "call was cancelled");
                }
                if (!bodyMemory.tryReserve(BodyMemory.STREAM_WINDOW)) {
                    inbound.remove(id, call);
                    inboundEnded();
                    call.discardRequestBody();
                    metrics.eventReceived(verb, PipeReply.CODE_REFUSED);
                    refusals.log("no body memory", "refusing to stream a reply to " + peer.name() + ": "
                            + bodyMemory.exhausted());
                    sink.send(Frame.of(id, WireMapping.toWire(PipeReply.refused(bodyMemory.exhausted()), false, -1)));
                    return abandonedBody(sink, bodyMemory.exhausted());
                }
                metrics.eventReceived(verb, head.code());
                Runnable finished = () -> {
                    releaseWindow();
                    inbound.remove(id, call);
                    call.discardRequestBody();
                    inboundEnded();
                };
                if (v1Peer) {
                    call.replyBody = v1ReplyBody(sink, id, head, finished);
                } else {
                    call.replyBody = new OutboundBody(sink, id, true, finished, null);
                    sink.send(Frame.of(id, WireMapping.toWire(head, true, contentLength)));
                }
                return call.replyBody;
            }
        };
        try {
            call.attach(dispatcher.dispatch(new IncomingEvent(peer, event, deadline, sink.executor()), replier));
        } catch (RuntimeException failure) {
            // A dispatcher (or a decorator around it) that throws fails this call, not the pipe with every other one.
            log.warn("dispatching {} {} from {} failed", verb, event.noun(), peer.name(), failure);
            replier.reply(PipeReply.error(PipeReply.CODE_HANDLER_FAILED, 500, "the event could not be dispatched: "
                    + failure.getClass().getSimpleName()));
        }
    }

    /**
     * A v1 peer knows no body chunks: the reply body is gathered, up to a frame's size, and sent inline at its end;
     * a larger one is answered 502 instead.
     */
    private OutboundBody v1ReplyBody(FrameSink sink, int id, PipeReply head, Runnable finished) {
        int limit = settings.maxFramePayload() / 2;
        OutboundBody[] body = new OutboundBody[1];
        body[0] = new OutboundBody(sink, id, true, () -> {
            finished.run();
            if (OutboundBody.TOO_LARGE.equals(body[0].abortReason())) {
                sink.send(Frame.of(id, WireMapping.toWire(PipeReply.error(PipeReply.CODE_UPSTREAM_FAILED, 502,
                        "the reply body is over " + limit + " bytes, more than a protocol v1 peer can take inline"),
                        false, -1)));
            }
        }, limit, whole -> {
            byte[] bytes = ByteBufUtil.getBytes(whole);
            whole.release();
            sink.send(Frame.of(id, WireMapping.toWire(withBody(head, bytes), false, -1)));
        });
        return body[0];
    }

    /** A body for a call that is over: whatever the handler writes to it is dropped. */
    private static OutboundBody abandonedBody(FrameSink sink, String reason) {
        OutboundBody dropped = new OutboundBody(sink, 0, true, () -> { }, null);
        dropped.abort(reason);
        return dropped;
    }

    /**
     * One of the peer's calls was refused at a limit. A peer past its own limit of calls in flight, or with more than
     * {@link #REFUSALS_BEFORE_PAUSE} calls refused within a second (a flood, whatever limit it hits), is slowed down:
     * refusing costs little per call, but a flood would cost the other pipes on this event loop their share of it.
     * A peer refused now and then, because this side is busy, is not. Any thread.
     */
    private void refused() {
        long now = System.nanoTime();
        synchronized (refusalWindow) {
            if (now - refusalWindow[0] >= 1_000_000_000L) {
                refusalWindow[0] = now;
                refusalWindow[1] = 0;
            }
            refusalWindow[1]++;
            if (refusalWindow[1] <= REFUSALS_BEFORE_PAUSE && inbound.size() < settings.maxPipeCalls()) {
                return;
            }
        }
        slowDown();
    }

    /**
     * Reads no more from the peer for {@link #OVER_LIMIT_PAUSE}, or until its calls in flight are back under the limit
     * if that was the one it crossed. Any thread.
     */
    private void slowDown() {
        FrameSink sink = link;
        if (sink == null) {
            return;
        }
        if (!sink.executor().inEventLoop()) {
            sink.executor().execute(this::slowDown);
            return;
        }
        if (sink.isReadingPaused()) {
            return;
        }
        sink.pauseReading();
        overCallLimit = inbound.size() >= settings.maxPipeCalls();
        slowedDown = true;
        sink.executor().schedule(() -> readAgain(sink), OVER_LIMIT_PAUSE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Ends a {@link #slowDown} of {@code sink}, unless another link took its place; any thread. */
    private void readAgain(FrameSink sink) {
        if (!slowedDown || sink == null || link != sink) {
            return;
        }
        if (!sink.executor().inEventLoop()) {
            sink.executor().execute(() -> readAgain(sink));
            return;
        }
        slowedDown = false;
        sink.resumeReading();
    }

    /** An inbound call is over: a peer slowed down for too many of them may be read again. Any thread. */
    private void inboundEnded() {
        if (slowedDown && overCallLimit && inbound.size() < settings.maxPipeCalls()) {
            readAgain(link);
        }
    }

    /** Why an arriving event is refused without running it, or {@code null} when it may run. */
    private String refusal(Event wire) {
        if (inbound.size() >= settings.maxPipeCalls()) {
            return "too many calls in flight from " + peer.name() + " (limit " + settings.maxPipeCalls()
                    + " per pipe, --max-pipe-calls)";
        }
        if (wire.getBodyFollows() && !bodyMemory.tryReserve(BodyMemory.STREAM_WINDOW)) {
            return bodyMemory.exhausted();
        }
        return null;
    }

    private void releaseWindow() {
        bodyMemory.release(BodyMemory.STREAM_WINDOW);
    }

    private void replyArrived(int id, EventReply wire) {
        OutboundCall call = outbound.get(id);
        if (call == null || call.reply.isDone()) {
            log.debug("reply #{} from {} arrived after its call ended", Integer.toUnsignedString(id), peer.name());
            return;
        }
        if (call.timer != null) {
            call.timer.cancel(false);
        }
        if (call.requestBody != null) {
            // The peer answered before taking the whole request body; the rest is not wanted.
            call.requestBody.abort("the reply arrived first");
        }
        if (wire.getBodyFollows() && !bodyMemory.tryReserve(BodyMemory.STREAM_WINDOW)) {
            refusals.log("no body memory", "refusing a reply streamed by " + peer.name() + ": "
                    + bodyMemory.exhausted());
            failOutbound(id, new PipeException(PipeException.Kind.UNAVAILABLE, bodyMemory.exhausted()),
                    "no_body_memory");
            call.sink.send(Frame.of(id, Cancel.newBuilder().setReason("the caller is out of memory for bodies").build()));
            return;
        }
        PipeReply reply = WireMapping.fromWire(wire);
        metrics.eventSent(call.verb, reply.code(), System.nanoTime() - call.startNanos);
        if (wire.getBodyFollows()) {
            call.replyBody = new InboundBody(call.sink, id, true,
                    wire.hasContentLength() ? wire.getContentLength() : -1, bodyMemory, reason -> {
                        if (outbound.remove(id, call)) {
                            call.sink.send(Frame.of(id, Cancel.newBuilder().setReason(reason).build()));
                        }
                    });
            reply = new PipeReply(reply.code(), reply.status(), reply.contentType(), reply.headers(), null,
                    call.replyBody);
        } else {
            outbound.remove(id, call);
        }
        if (!call.reply.complete(reply) && call.replyBody != null) {
            // The caller gave up in the meantime (on another thread): nobody will read this body.
            call.replyBody.abortOnLoop("the caller gave up");
        }
    }

    private void chunkArrived(BodyChunkFrame chunk) {
        InboundBody body;
        Runnable whenDone;
        if (chunk.reply()) {
            OutboundCall call = outbound.get(chunk.id());
            body = call == null ? null : call.replyBody;
            whenDone = () -> outbound.remove(chunk.id(), call);
        } else {
            InboundCall call = inbound.get(chunk.id());
            body = call == null ? null : call.requestBody;
            whenDone = () -> { };
        }
        if (body == null) {
            // A call that ended (cancelled, answered early) may still have chunks on the wire.
            chunk.release();
            return;
        }
        body.onChunk(chunk.content(), chunk.last());
        if (body.isDone()) {
            whenDone.run();
        }
    }

    private void creditArrived(int id, Credit credit) {
        OutboundBody body;
        if (credit.getReply()) {
            InboundCall call = inbound.get(id);
            body = call == null ? null : call.replyBody;
        } else {
            OutboundCall call = outbound.get(id);
            body = call == null ? null : call.requestBody;
        }
        if (body != null) {
            body.grant(credit.getBytes());
        }
    }

    /** The caller gave up on one of our inbound calls, or the callee abandoned a reply it was streaming to us. */
    private void cancelArrived(int id, String reason) {
        InboundCall call = inbound.remove(id);
        if (call != null) {
            log.debug("{} cancelled call #{}: {}", peer.name(), Integer.toUnsignedString(id), reason);
            call.cancel("cancelled by the caller: " + reason);
            inboundEnded();
            return;
        }
        OutboundCall mine = outbound.remove(id);
        if (mine != null) {
            if (mine.timer != null) {
                mine.timer.cancel(false);
            }
            String why = peer.name() + " abandoned the call: " + reason;
            mine.abortBodies(why);
            mine.reply.completeExceptionally(new PipeException(PipeException.Kind.UNAVAILABLE, why));
        }
    }

    private void deadlinePassed(int id, Duration timeout) {
        OutboundCall call = outbound.get(id);
        if (failOutbound(id, new PipeException(PipeException.Kind.DEADLINE_EXCEEDED,
                "no reply from " + peer.name() + " within " + timeout.toMillis() + " ms"), "deadline_exceeded")) {
            call.sink.send(Frame.of(id, Cancel.newBuilder().setReason("deadline exceeded").build()));
        }
    }

    private boolean failOutbound(int id, PipeException error, String outcome) {
        OutboundCall call = outbound.get(id);
        if (call == null || call.reply.isDone()) {
            return false;
        }
        removeOutbound(id);
        metrics.eventFailed(call.verb, outcome);
        call.abortBodies(error.getMessage());
        call.reply.completeExceptionally(error);
        return true;
    }

    private OutboundCall removeOutbound(int id) {
        OutboundCall call = outbound.remove(id);
        if (call != null && call.timer != null) {
            call.timer.cancel(false);
        }
        return call;
    }

    /** The link is gone: every call that went out or came in on it fails or is cancelled. */
    @Override
    public void linkClosed(FrameSink closed, String reason) {
        for (Integer id : List.copyOf(outbound.keySet())) {
            OutboundCall call = outbound.get(id);
            if (call == null || call.sink != closed) {
                continue;
            }
            if (call.reply.isDone()) {
                outbound.remove(id);
                call.abortBodies("pipe to " + peer.name() + " closed: " + reason);
            } else {
                failOutbound(id, new PipeException(PipeException.Kind.UNAVAILABLE,
                        "pipe to " + peer.name() + " closed while the call was in flight: " + reason), "unavailable");
            }
        }
        for (Integer id : List.copyOf(inbound.keySet())) {
            InboundCall call = inbound.get(id);
            if (call != null && call.sink == closed && inbound.remove(id, call)) {
                call.cancel("pipe closed: " + reason);
            }
        }
    }

    private PipeException unavailable(FrameSink sink) {
        return new PipeException(PipeException.Kind.UNAVAILABLE, "pipe to " + peer.name() + " is "
                + (sink == null ? "down" : sink.state()));
    }

    private static PipeReply withBody(PipeReply head, byte[] body) {
        return new PipeReply(head.code(), head.status(), head.contentType(), head.headers(), body);
    }

    /** A call this side made, on the link it went out on. Fields are written on the event loop or before publishing. */
    private static final class OutboundCall {
        final String verb;
        final CompletableFuture<PipeReply> reply;
        final long startNanos;
        final FrameSink sink;
        volatile ScheduledFuture<?> timer;
        volatile OutboundBody requestBody;
        volatile InboundBody replyBody;

        OutboundCall(String verb, CompletableFuture<PipeReply> reply, long startNanos, FrameSink sink) {
            this.verb = verb;
            this.reply = reply;
            this.startNanos = startNanos;
            this.sink = sink;
        }

        void abortBodies(String reason) {
            if (requestBody != null) {
                requestBody.abort(reason);
            }
            if (replyBody != null) {
                InboundBody body = replyBody;
                body.abortOnLoop(reason);
            }
        }
    }

    /** A peer's event being handled; cancellation may arrive before the handler's future is known. */
    private static final class InboundCall {
        final FrameSink sink;
        final AtomicBoolean answered = new AtomicBoolean();
        volatile InboundBody requestBody;
        volatile OutboundBody replyBody;
        private Future<?> task;
        private boolean cancelled;

        /** @param sink the link the event came on, where its reply goes */
        InboundCall(FrameSink sink) {
            this.sink = sink;
        }

        synchronized void attach(Future<?> task) {
            this.task = task;
            if (cancelled) {
                task.cancel(true);
            }
        }

        void cancel(String reason) {
            synchronized (this) {
                cancelled = true;
                if (task != null) {
                    task.cancel(true);
                }
            }
            if (requestBody != null) {
                requestBody.abortOnLoop(reason);
            }
            if (replyBody != null) {
                replyBody.abort(reason);
            }
        }

        void discardRequestBody() {
            if (requestBody != null) {
                requestBody.abortOnLoop("the reply was sent");
            }
        }
    }
}
