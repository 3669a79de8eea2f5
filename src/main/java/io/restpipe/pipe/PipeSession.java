package io.restpipe.pipe;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import io.restpipe.wire.Frame;
import io.restpipe.wire.FrameException;
import io.restpipe.wire.proto.Cancel;
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
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One live pipe to a peer: sends calls and matches their replies by id, hands the peer's events to the
 * dispatcher, and fails or cancels what is in flight when the pipe ends.
 *
 * <p>Thread-safe: {@link #call} may be used from any thread; frames are handled on the channel's event loop.
 */
public final class PipeSession extends SimpleChannelInboundHandler<Frame> {
    private static final Logger log = LoggerFactory.getLogger(PipeSession.class);
    private static final AttributeKey<String> CLOSE_REASON = AttributeKey.valueOf("restpipe.closeReason");
    private static final String SOFTWARE = "restpipe-java";
    private static final List<String> CAPABILITIES = List.of("arguments", "headers", "cancel", "goaway");

    private final Channel channel;
    private final PeerInfo peer;
    private final EventDispatcher dispatcher;
    private final PipeSettings settings;
    private final PipeMetrics metrics;
    private final Instant connectedSince = Instant.now();
    private final AtomicInteger nextId;
    private final Map<Integer, OutboundCall> outbound = new ConcurrentHashMap<>();
    private final Map<Integer, InboundCall> inbound = new ConcurrentHashMap<>();
    private final CompletableFuture<String> closed = new CompletableFuture<>();
    /** A v1 peer never says hello; until a v2 client does, the server writes events the v1 way. */
    private volatile boolean v1Peer;
    private volatile boolean goingAway;

    PipeSession(Channel channel, PeerInfo peer, boolean clientSide, EventDispatcher dispatcher,
                PipeSettings settings, PipeMetrics metrics) {
        this.channel = channel;
        this.peer = peer;
        this.dispatcher = dispatcher;
        this.settings = settings;
        this.metrics = metrics;
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

    Channel channel() {
        return channel;
    }

    /** The client's first frame, which starts the v2 conversation. */
    static Hello hello() {
        return Hello.newBuilder().setProtocolVersion(WireMapping.PROTOCOL_VERSION)
                .addAllCapabilities(CAPABILITIES).setSoftware(SOFTWARE).build();
    }

    public PeerInfo peer() {
        return peer;
    }

    public Instant connectedSince() {
        return connectedSince;
    }

    /** The last heartbeat round-trip time, or {@code null} when none was measured yet. */
    public Duration heartbeatRtt() {
        HeartbeatHandler heartbeat = channel.pipeline().get(HeartbeatHandler.class);
        return heartbeat == null ? null : heartbeat.lastRtt();
    }

    /** Calls in flight in both directions. */
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

    /**
     * Sends {@code event} and completes with the peer's reply, or fails with {@link PipeException}: unavailable
     * if the pipe is or goes down, deadline exceeded after {@code timeout} (the peer is then told to cancel).
     * Cancelling the returned future also tells the peer to cancel.
     */
    public CompletableFuture<PipeReply> call(PipeEvent event, Duration timeout) {
        CompletableFuture<PipeReply> reply = new CompletableFuture<>();
        if (!isAvailable()) {
            reply.completeExceptionally(unavailable());
            return reply;
        }
        int id = allocateId();
        OutboundCall call = new OutboundCall(event.verb(), reply, System.nanoTime());
        outbound.put(id, call);
        metrics.callStarted();
        Event wire = WireMapping.toWire(event, v1Peer, timeout);
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
                send(id, Cancel.newBuilder().setReason("caller cancelled").build());
            }
        });
        return reply;
    }

    /** Tells the peer this side takes no new calls; the ones in flight go on. */
    public void goAway(String reason) {
        goingAway = true;
        send(0, GoAway.newBuilder().setReason(reason).build());
    }

    public void close(String reason) {
        closeWithReason(channel, reason);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
        switch (frame.type()) {
            case EVENT -> eventArrived(frame.id(), frame.as(Event.class));
            case EVENT_REPLY -> replyArrived(frame.id(), frame.as(EventReply.class));
            case CANCEL -> cancelArrived(frame.id());
            case HELLO -> {
                v1Peer = false;
                send(frame.id(), HelloReply.newBuilder().setProtocolVersion(WireMapping.PROTOCOL_VERSION)
                        .addAllCapabilities(CAPABILITIES).setSoftware(SOFTWARE).build());
            }
            case HELLO_REPLY -> log.debug("pipe to {} speaks protocol {}", peer.name(),
                    frame.as(HelloReply.class).getProtocolVersion());
            case GOAWAY -> {
                goingAway = true;
                log.info("{} is going away: {}", peer.name(), frame.as(GoAway.class).getReason());
            }
            // Streamed bodies are not negotiated yet, so a peer sending them breaks the protocol.
            case BODY_CHUNK, CREDIT -> throw new FrameException(frame.type() + " frame for a call that streams no body");
            default -> throw new FrameException("unexpected " + frame.type() + " frame");
        }
    }

    private void eventArrived(int id, Event wire) {
        if (wire.getVersion() < WireMapping.PROTOCOL_VERSION) {
            v1Peer = true;
        }
        PipeEvent event = WireMapping.fromWire(wire);
        Instant deadline = event.timeout() == null ? null : Instant.now().plus(event.timeout());
        InboundCall call = new InboundCall();
        inbound.put(id, call);
        call.attach(dispatcher.dispatch(new IncomingEvent(peer, event, deadline), reply -> {
            if (inbound.remove(id, call)) {
                metrics.eventReceived(event.verb(), reply.code());
                send(id, WireMapping.toWire(reply));
            }
        }));
    }

    private void replyArrived(int id, EventReply wire) {
        OutboundCall call = removeOutbound(id);
        if (call == null) {
            log.debug("reply #{} from {} arrived after its call ended", Integer.toUnsignedString(id), peer.name());
            return;
        }
        PipeReply reply = WireMapping.fromWire(wire);
        metrics.eventSent(call.verb, reply.code(), System.nanoTime() - call.startNanos);
        call.reply.complete(reply);
    }

    private void cancelArrived(int id) {
        InboundCall call = inbound.remove(id);
        if (call != null) {
            log.debug("{} cancelled call #{}", peer.name(), Integer.toUnsignedString(id));
            call.cancel();
        }
    }

    private void deadlinePassed(int id, Duration timeout) {
        if (failOutbound(id, new PipeException(PipeException.Kind.DEADLINE_EXCEEDED,
                "no reply from " + peer.name() + " within " + timeout.toMillis() + " ms"), "deadline_exceeded")) {
            send(id, Cancel.newBuilder().setReason("deadline exceeded").build());
        }
    }

    private boolean failOutbound(int id, PipeException error, String outcome) {
        OutboundCall call = removeOutbound(id);
        if (call == null) {
            return false;
        }
        metrics.eventFailed(call.verb, outcome);
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
            failOutbound(id, new PipeException(PipeException.Kind.UNAVAILABLE,
                    "pipe to " + peer.name() + " closed while the call was in flight: " + reason), "unavailable");
        }
        for (Integer id : List.copyOf(inbound.keySet())) {
            InboundCall call = inbound.remove(id);
            if (call != null) {
                call.cancel();
            }
        }
        closed.complete(reason);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() != null
                && !(cause instanceof FrameException) ? cause.getCause() : cause;
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

    private static final class OutboundCall {
        final String verb;
        final CompletableFuture<PipeReply> reply;
        final long startNanos;
        volatile ScheduledFuture<?> timer;

        OutboundCall(String verb, CompletableFuture<PipeReply> reply, long startNanos) {
            this.verb = verb;
            this.reply = reply;
            this.startNanos = startNanos;
        }
    }

    /** A peer's event being handled; cancellation may arrive before the handler's future is known. */
    private static final class InboundCall {
        private Future<?> task;
        private boolean cancelled;

        synchronized void attach(Future<?> task) {
            this.task = task;
            if (cancelled) {
                task.cancel(true);
            }
        }

        synchronized void cancel() {
            cancelled = true;
            if (task != null) {
                task.cancel(true);
            }
        }
    }
}
