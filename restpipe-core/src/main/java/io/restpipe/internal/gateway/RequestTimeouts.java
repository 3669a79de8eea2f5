package io.restpipe.internal.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import io.restpipe.internal.util.RepeatedLog;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The clocks of a gateway connection while no call runs on it, placed before the HTTP decoder so it sees raw bytes:
 * a connection waiting for its next request is closed after the idle timeout; a request whose first byte has arrived
 * must have all its headers within the header timeout, and then its body must not pause for longer than that until
 * the call starts, else 408 and close (a caller sending a byte at a time holds a connection, and a slot of
 * {@code --max-calls}, for no longer than that). While a call is in progress none runs: the call's own deadline
 * applies.
 *
 * <p>A request only moves a deadline: one timer per connection wakes at the deadline or a header timeout from now,
 * whichever is sooner, and acts only if the deadline has passed, so a busy keep-alive connection schedules nothing
 * per request. Event loop only.
 */
final class RequestTimeouts extends ChannelInboundHandlerAdapter {
    private static final RepeatedLog slow = new RepeatedLog(LoggerFactory.getLogger(RequestTimeouts.class),
            Level.INFO, Duration.ofSeconds(10));

    private enum State { IDLE, READING_HEAD, READING_BODY, IN_CALL }

    private final long headerNanos;
    private final long idleNanos;
    private ChannelHandlerContext context;
    private State state = State.IDLE;
    /** When the current state's clock runs out (unused while in a call). */
    private long deadline;
    private ScheduledFuture<?> timer;

    RequestTimeouts(Duration header, Duration idle) {
        this.headerNanos = header.toNanos();
        this.idleNanos = idle.toNanos();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        context = ctx;
        enter(State.IDLE, idleNanos);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf bytes && bytes.isReadable()) {
            if (state == State.IDLE) {
                enter(State.READING_HEAD, headerNanos);
            } else if (state == State.READING_BODY) {
                deadline = now() + headerNanos;
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** The gateway decoded a request's head: its body must keep coming until the call starts. */
    void requestArrived() {
        enter(State.READING_BODY, headerNanos);
    }

    /** The gateway started the request's call: the call's own clock runs from here. */
    void callStarted() {
        state = State.IN_CALL;
    }

    /** The gateway finished an exchange and waits for the next request on this connection. */
    void awaitingNextRequest() {
        if (context != null) {
            enter(State.IDLE, idleNanos);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        ctx.fireChannelInactive();
    }

    private void enter(State next, long nanos) {
        state = next;
        deadline = now() + nanos;
        if (timer == null) {
            wakeIn(nanos);
        }
    }

    /** Never later than a header timeout from now: a request's head may start at any moment. */
    private void wakeIn(long nanos) {
        timer = context.executor().schedule(this::check, Math.max(1, Math.min(nanos, headerNanos)),
                TimeUnit.NANOSECONDS);
    }

    private void check() {
        timer = null;
        if (!context.channel().isActive()) {
            return;
        }
        long left = deadline - now();
        if (state == State.IN_CALL || left > 0) {
            wakeIn(state == State.IN_CALL ? headerNanos : left);
        } else if (state == State.IDLE) {
            context.close();
        } else {
            tooSlow();
        }
    }

    private long now() {
        return context.executor().ticker().nanoTime();
    }

    private void tooSlow() {
        String what = state == State.READING_HEAD ? "the request's headers did not arrive within "
                : "the request's body stopped coming for ";
        slow.log("408 " + state, "closing gateway connection " + context.channel().remoteAddress() + ": " + what
                + headerNanos / 1_000_000 + " ms (--http-header-timeout)");
        // The request is over now, not when the caller closes: its call and its call slot are given up first.
        context.fireUserEventTriggered(TimedOut.INSTANCE);
        LingeringClose.after(context.writeAndFlush(Unpooled.wrappedBuffer(RawResponses.error(408, "Request Timeout",
                what + headerNanos / 1_000_000 + " ms"))));
    }

    /** Told down the pipeline when a request is refused with 408: the request it was reading is over. */
    enum TimedOut { INSTANCE }
}
