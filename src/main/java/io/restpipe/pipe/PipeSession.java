package io.restpipe.pipe;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.restpipe.tls.PipeTrustManager;
import io.restpipe.wire.BodyChunkFrame;
import io.restpipe.wire.Frame;
import io.restpipe.wire.FrameException;
import io.restpipe.wire.proto.Cancel;
import io.restpipe.wire.proto.Credit;
import io.restpipe.wire.proto.Event;
import io.restpipe.wire.proto.EventReply;
import io.restpipe.wire.proto.GoAway;
import io.restpipe.wire.proto.Hello;
import io.restpipe.wire.proto.HelloReply;
import java.io.IOException;
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
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One live pipe to a peer: sends calls and matches their replies by id, streams bodies under credit, hands the
 * peer's events to the dispatcher, and fails or cancels what is in flight when the pipe ends.
 *
 * <p>Thread-safe: {@link #call} and {@link #start} may be used from any thread; frames are handled on the
 * channel's event loop.
 */
public final class PipeSession extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(PipeSession.class);
    private static final AttributeKey<String> CLOSE_REASON = AttributeKey.valueOf("restpipe.closeReason");
    private static final String SOFTWARE = "restpipe-java";
    private static final RepeatedLog refusals = new RepeatedLog(log, org.slf4j.event.Level.WARN,
            Duration.ofSeconds(10));
    private static final Duration OVER_LIMIT_PAUSE = Duration.ofSeconds(1);
    private static final int REFUSALS_BEFORE_PAUSE = 100;
    private static final List<String> CAPABILITIES = List.of("arguments", "headers", "cancel", "goaway", "stream");

    private final Channel channel;
    private final PeerInfo peer;
    private final EventDispatcher dispatcher;
    private final PipeSettings settings;
    private final PipeMetrics metrics;
    private final BodyMemory bodyMemory;
    private final Instant connectedSince = Instant.now();
    private final AtomicInteger nextId;
    private final Map<Integer, OutboundCall> outbound = new ConcurrentHashMap<>();
    private final Map<Integer, InboundCall> inbound = new ConcurrentHashMap<>();
    private final CompletableFuture<String> closed = new CompletableFuture<>();
    /** A v1 peer never says hello; until a v2 client does, the server writes to it the v1 way. */
    private volatile boolean v1Peer;
    private volatile boolean goingAway;
    /** Not reading from the peer, which sent calls past its limit; see {@link #slowDown}. */
    private volatile boolean slowedDown;
    /** The peer was slowed down for crossing its limit of calls in flight: reading resumes once it is back under. */
    private volatile boolean overCallLimit;
    /** When the current second of counting refusals began, and how many there were in it. */
    private final long[] refusalWindow = {Long.MIN_VALUE / 2, 0};

    PipeSession(Channel channel, PeerInfo peer, boolean clientSide, EventDispatcher dispatcher,
                PipeSettings settings, PipeMetrics metrics, BodyMemory bodyMemory) {
        this.channel = channel;
        this.peer = peer;
        this.dispatcher = dispatcher;
        this.settings = settings;
        this.metrics = metrics;
        this.bodyMemory = bodyMemory;
        // Ids never collide between the two directions: the client's calls are odd, the server's even.
        this.nextId = new AtomicInteger(clientSide ? 1 : 2);
        this.v1Peer = !clientSide;
        channel.closeFuture().addListener(f -> onClosed());
    }

    /** Closes the pipe on {@code channel}, recording why for the disconnect log line. */
    static void closeWithReason(Channel channel, String reason) {
        channel.attr(CLOSE_REASON).compareAndSet(null, reason);
        channel.close();
    }

    /** Why the pipe on {@code channel} was closed, or {@code fallback} if nobody said. */
    static String closeReason(Channel channel, String fallback) {
        String reason = channel.attr(CLOSE_REASON).get();
        return reason == null ? fallback : reason;
    }

    /** The client's first frame, which starts the v2 conversation. */
    static Hello hello() {
        return Hello.newBuilder().setProtocolVersion(WireMapping.PROTOCOL_VERSION)
                .addAllCapabilities(CAPABILITIES).setSoftware(SOFTWARE).build();
    }

    Channel channel() {
        return channel;
    }

    public PeerInfo peer() {
        return peer;
    }

    /** True when this pipe's TLS session was resumed from a ticket rather than authenticated by certificates. */
    public boolean resumedTls() {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        return ssl != null && Boolean.TRUE.equals(ssl.engine().getSession().getValue(PipeTrustManager.RESUMED));
    }

    public Instant connectedSince() {
        return connectedSince;
    }

    /** The last heartbeat round-trip time, or {@code null} when none was measured yet. */
    public Duration heartbeatRtt() {
        HeartbeatHandler heartbeat = channel.pipeline().get(HeartbeatHandler.class);
        return heartbeat == null ? null : heartbeat.lastRtt();
    }

    /** Calls in flight in both directions, including bodies still streaming. */
    public int inFlight() {
        return outbound.size() + inbound.size();
    }

    /** True while the pipe is open and neither side has announced it is going away. */
    public boolean isAvailable() {
        return channel.isActive() && !goingAway;
    }

    /** Completes with the reason once the pipe is closed. */
    public CompletableFuture<String> closeFuture() {
        return closed;
    }

    /** Sends {@code event} with its body inline; see {@link #start}. */
    public CompletableFuture<PipeReply> call(PipeEvent event, Duration timeout) {
        return start(event, timeout, false, -1).reply();
    }

    /**
     * Sends {@code event} and returns the call: its reply completes with the peer's reply (whose body may stream),
     * or fails with {@link PipeException}: unavailable if the pipe is or goes down, deadline exceeded when no reply
     * head came within {@code timeout} (the peer is then told to cancel). Cancelling the reply future also tells
     * the peer to cancel.
     *
     * @param streamBody    true when the request body follows through {@link PipeCall#requestBody()}
     * @param contentLength the streamed body's total length, or -1 when unknown
     */
    public PipeCall start(PipeEvent event, Duration timeout, boolean streamBody, long contentLength) {
        CompletableFuture<PipeReply> reply = new CompletableFuture<>();
        if (!isAvailable()) {
            reply.completeExceptionally(unavailable());
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
        int id = allocateId();
        OutboundCall call = new OutboundCall(event.verb(), reply, System.nanoTime());
        if (streamBody) {
            call.requestBody = new OutboundBody(channel, id, false, this::releaseWindow, null);
        }
        outbound.put(id, call);
        metrics.callStarted();
        Event wire = WireMapping.toWire(event, v1Peer, timeout, streamBody, contentLength);
        channel.eventLoop().execute(() -> {
            if (reply.isDone()) {
                return;
            }
            call.timer = channel.eventLoop().schedule(() -> deadlinePassed(id, timeout),
                    timeout.toNanos(), TimeUnit.NANOSECONDS);
            channel.writeAndFlush(Frame.of(id, wire)).addListener(written -> {
                if (!written.isSuccess()) {
                    failOutbound(id, unavailable(), "unavailable");
                }
            });
        });
        reply.whenComplete((ok, error) -> {
            if (error instanceof CancellationException && removeOutbound(id) != null) {
                metrics.eventFailed(call.verb, "cancelled");
                call.abortBodies("caller cancelled");
                send(id, Cancel.newBuilder().setReason("caller cancelled").build());
            }
        });
        return new PipeCall(call.requestBody, reply);
    }

    /** Tells the peer this side takes no new calls; the ones in flight go on. */
    public void goAway(String reason) {
        goingAway = true;
        send(0, GoAway.newBuilder().setReason(reason).build());
    }

    /** Tells the peer why its pipe is not accepted, then closes it. */
    void refuse(String reason) {
        goingAway = true;
        channel.writeAndFlush(Frame.of(0, GoAway.newBuilder().setReason(reason).setRefused(true).build()))
                .addListener(written -> close("refused: " + reason));
    }

    /**
     * Completes with true when the peer answers a heartbeat sent now within {@code wait}: it is alive, whatever its
     * last frame was; false when it does not.
     */
    CompletableFuture<Boolean> probe(Duration wait) {
        CompletableFuture<Boolean> alive = new CompletableFuture<>();
        channel.eventLoop().execute(() -> {
            ChannelHandlerContext heartbeat = channel.pipeline().context(HeartbeatHandler.class);
            if (heartbeat == null || !channel.isActive()) {
                alive.complete(false);
            } else {
                ((HeartbeatHandler) heartbeat.handler()).probe(heartbeat, wait).thenAccept(alive::complete);
            }
        });
        return alive;
    }

    public void close(String reason) {
        closeWithReason(channel, reason);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
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
            case HELLO -> {
                v1Peer = false;
                send(frame.id(), HelloReply.newBuilder().setProtocolVersion(WireMapping.PROTOCOL_VERSION)
                        .addAllCapabilities(CAPABILITIES).setSoftware(SOFTWARE).build());
            }
            case HELLO_REPLY -> log.debug("pipe to {} speaks protocol {}", peer.name(),
                    frame.as(HelloReply.class).getProtocolVersion());
            case GOAWAY -> {
                goingAway = true;
                GoAway goAway = frame.as(GoAway.class);
                if (goAway.getRefused()) {
                    log.warn("{} refused this pipe: {}", peer.name(), goAway.getReason());
                    closeWithReason(channel, "refused by " + peer.name() + ": " + goAway.getReason());
                } else {
                    log.info("{} is going away: {}", peer.name(), goAway.getReason());
                }
            }
            default -> throw new FrameException("unexpected " + frame.type() + " frame");
        }
    }

    private void eventArrived(int id, Event wire) {
        if (wire.getVersion() < WireMapping.PROTOCOL_VERSION) {
            v1Peer = true;
        }
        String refusal = refusal(wire);
        if (refusal != null) {
            // Chunks of a refused body find no call and are dropped as they arrive.
            refusals.log("refused " + peer.name() + refusal, "refusing a call from " + peer.name() + ": " + refusal);
            refused();
            metrics.eventReceived(wire.getVerb().toUpperCase(java.util.Locale.ROOT), PipeReply.CODE_REFUSED);
            send(id, WireMapping.toWire(PipeReply.refused(refusal), false, -1));
            return;
        }
        InboundCall call = new InboundCall();
        PipeEvent event = WireMapping.fromWire(wire);
        if (wire.getBodyFollows()) {
            call.requestBody = new InboundBody(channel, id, false,
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
        call.attach(dispatcher.dispatch(new IncomingEvent(peer, event, deadline, channel.eventLoop()), new Replier() {
            @Override
            public void reply(PipeReply reply) {
                if (call.answered.compareAndSet(false, true) && inbound.remove(id, call)) {
                    metrics.eventReceived(verb, reply.code());
                    call.discardRequestBody();
                    send(id, WireMapping.toWire(reply, false, -1));
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
                    return abandonedBody("call was cancelled");
                }
                if (!bodyMemory.tryReserve(BodyMemory.STREAM_WINDOW)) {
                    inbound.remove(id, call);
                    inboundEnded();
                    call.discardRequestBody();
                    metrics.eventReceived(verb, PipeReply.CODE_REFUSED);
                    refusals.log("no body memory", "refusing to stream a reply to " + peer.name() + ": "
                            + bodyMemory.exhausted());
                    send(id, WireMapping.toWire(PipeReply.refused(bodyMemory.exhausted()), false, -1));
                    return abandonedBody(bodyMemory.exhausted());
                }
                metrics.eventReceived(verb, head.code());
                Runnable finished = () -> {
                    releaseWindow();
                    inbound.remove(id, call);
                    call.discardRequestBody();
                    inboundEnded();
                };
                if (v1Peer) {
                    call.replyBody = v1ReplyBody(id, head, finished);
                } else {
                    call.replyBody = new OutboundBody(channel, id, true, finished, null);
                    send(id, WireMapping.toWire(head, true, contentLength));
                }
                return call.replyBody;
            }
        }));
    }

    /**
     * A v1 peer knows no body chunks: the reply body is gathered, up to a frame's size, and sent inline at its end;
     * a larger one is answered 502 instead.
     */
    private OutboundBody v1ReplyBody(int id, PipeReply head, Runnable finished) {
        int limit = settings.maxFramePayload() / 2;
        OutboundBody[] body = new OutboundBody[1];
        body[0] = new OutboundBody(channel, id, true, () -> {
            finished.run();
            if (OutboundBody.TOO_LARGE.equals(body[0].abortReason())) {
                send(id, WireMapping.toWire(PipeReply.error(PipeReply.CODE_UPSTREAM_FAILED, 502, "the reply body is over "
                        + limit + " bytes, more than a protocol v1 peer can take inline"), false, -1));
            }
        }, limit, whole -> {
            byte[] bytes = ByteBufUtil.getBytes(whole);
            whole.release();
            send(id, WireMapping.toWire(withBody(head, bytes), false, -1));
        });
        return body[0];
    }

    /** A body for a call that is over: whatever the handler writes to it is dropped. */
    private OutboundBody abandonedBody(String reason) {
        OutboundBody dropped = new OutboundBody(channel, 0, true, () -> { }, null);
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
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(this::slowDown);
            return;
        }
        ReadPauses pauses = ReadPauses.of(channel);
        if (pauses.isPaused(ReadPauses.CALLS)) {
            return;
        }
        pauses.pause(ReadPauses.CALLS);
        overCallLimit = inbound.size() >= settings.maxPipeCalls();
        slowedDown = true;
        channel.eventLoop().schedule(this::readAgain, OVER_LIMIT_PAUSE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Ends a {@link #slowDown}; any thread. */
    private void readAgain() {
        if (!slowedDown) {
            return;
        }
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(this::readAgain);
            return;
        }
        slowedDown = false;
        ReadPauses.of(channel).resume(ReadPauses.CALLS);
    }

    /** An inbound call is over: a peer slowed down for too many of them may be read again. Any thread. */
    private void inboundEnded() {
        if (slowedDown && overCallLimit && inbound.size() < settings.maxPipeCalls()) {
            readAgain();
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
            send(id, Cancel.newBuilder().setReason("the caller is out of memory for bodies").build());
            return;
        }
        PipeReply reply = WireMapping.fromWire(wire);
        metrics.eventSent(call.verb, reply.code(), System.nanoTime() - call.startNanos);
        if (wire.getBodyFollows()) {
            call.replyBody = new InboundBody(channel, id, true,
                    wire.hasContentLength() ? wire.getContentLength() : -1, bodyMemory, reason -> {
                        if (outbound.remove(id, call)) {
                            send(id, Cancel.newBuilder().setReason(reason).build());
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
        if (failOutbound(id, new PipeException(PipeException.Kind.DEADLINE_EXCEEDED,
                "no reply from " + peer.name() + " within " + timeout.toMillis() + " ms"), "deadline_exceeded")) {
            send(id, Cancel.newBuilder().setReason("deadline exceeded").build());
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

    private void onClosed() {
        String reason = closeReason(channel, "connection closed by peer");
        for (Integer id : List.copyOf(outbound.keySet())) {
            OutboundCall call = outbound.get(id);
            if (call != null && call.reply.isDone()) {
                outbound.remove(id);
                call.abortBodies("pipe to " + peer.name() + " closed: " + reason);
            } else {
                failOutbound(id, new PipeException(PipeException.Kind.UNAVAILABLE,
                        "pipe to " + peer.name() + " closed while the call was in flight: " + reason), "unavailable");
            }
        }
        for (Integer id : List.copyOf(inbound.keySet())) {
            InboundCall call = inbound.remove(id);
            if (call != null) {
                call.cancel("pipe closed: " + reason);
            }
        }
        closed.complete(reason);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        FatalErrors.check(cause);
        // The decoder passes our own FrameException as is and wraps everything else (such as TLS errors).
        Throwable root = cause instanceof DecoderException && !(cause instanceof FrameException)
                && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof FrameException) {
            log.warn("closing pipe to {}: protocol error: {}", peer.name(), root.getMessage());
            closeWithReason(ctx.channel(), "protocol error: " + root.getMessage());
        } else if (root instanceof IOException || root instanceof SSLException) {
            closeWithReason(ctx.channel(), root.getClass().getSimpleName() + ": " + root.getMessage());
        } else {
            log.warn("closing pipe to {} after an unexpected error", peer.name(), root);
            closeWithReason(ctx.channel(), "internal error: " + root);
        }
    }

    private void send(int id, com.google.protobuf.MessageLite message) {
        channel.writeAndFlush(Frame.of(id, message));
    }

    private int allocateId() {
        int id = nextId.getAndAdd(2);
        if (id == 0) {
            // Wrapped around u32: 0 is reserved for frames that belong to no call.
            id = nextId.getAndAdd(2);
        }
        return id;
    }

    private PipeException unavailable() {
        return new PipeException(PipeException.Kind.UNAVAILABLE, "pipe to " + peer.name() + " is "
                + (goingAway ? "going away" : "closed"));
    }

    private static PipeReply withBody(PipeReply head, byte[] body) {
        return new PipeReply(head.code(), head.status(), head.contentType(), head.headers(), body);
    }

    /** A call this side made. Fields are written on the event loop or before the call is published. */
    private static final class OutboundCall {
        final String verb;
        final CompletableFuture<PipeReply> reply;
        final long startNanos;
        volatile ScheduledFuture<?> timer;
        volatile OutboundBody requestBody;
        volatile InboundBody replyBody;

        OutboundCall(String verb, CompletableFuture<PipeReply> reply, long startNanos) {
            this.verb = verb;
            this.reply = reply;
            this.startNanos = startNanos;
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
        final AtomicBoolean answered = new AtomicBoolean();
        volatile InboundBody requestBody;
        volatile OutboundBody replyBody;
        private Future<?> task;
        private boolean cancelled;

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
