package io.restpipe.internal.call;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.restpipe.internal.wire.BodyChunkFrame;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameSink;
import io.restpipe.internal.wire.proto.Cancel;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The sending end of one streamed body: writes it as body chunks, never more than the receiver's credit. Bytes
 * written beyond the credit wait here (at most one write's worth, since {@link #write} says when to stop) until
 * the receiver grants more. Chunks always leave from the pipe's event loop, so they keep their order whatever
 * thread writes. Event-loop producers use {@link #whenCredit}; threads that may block use {@link #awaitCredit}.
 * Thread-safe.
 */
public final class OutboundBody {
    private final FrameSink link;
    private final int id;
    private final boolean reply;
    private final Runnable onFinished;
    /** Why a gathered body was given up: it grew past the collect limit. */
    public static final String TOO_LARGE = "body too large to gather";

    /** For a v1 peer, which cannot take body chunks: the body is gathered here and sent inline at the end. */
    private final Consumer<ByteBuf> collector;
    private final long collectLimit;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition creditArrived = lock.newCondition();
    /** Bytes written but not yet sent, oldest first. */
    private final ArrayDeque<ByteBuf> waiting = new ArrayDeque<>();
    private long waitingBytes;
    private long credit = StreamWindow.INITIAL_CREDIT;
    private Runnable onCredit;
    private boolean endWanted;
    private boolean ended;
    private String abortedBecause;
    private final java.util.concurrent.atomic.AtomicBoolean sendScheduled = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * @param onFinished runs once the body has ended or was aborted
     * @param collector  when not null, takes the whole body at its end instead of it going out in chunks
     */
    public OutboundBody(FrameSink link, int id, boolean reply, Runnable onFinished, Consumer<ByteBuf> collector) {
        this(link, id, reply, onFinished, Long.MAX_VALUE, collector);
    }

    /** @param collectLimit the most bytes the collector gathers; past it the body is aborted as {@link #TOO_LARGE} */
    public OutboundBody(FrameSink link, int id, boolean reply, Runnable onFinished, long collectLimit,
                 Consumer<ByteBuf> collector) {
        this.link = link;
        this.id = id;
        this.reply = reply;
        this.onFinished = onFinished;
        this.collector = collector;
        this.collectLimit = collectLimit;
        if (collector != null) {
            this.credit = Long.MAX_VALUE;
        }
    }

    /** Sends {@code data} (taking ownership of it) and returns whether the receiver has room for more now. */
    public boolean write(ByteBuf data) {
        boolean tooLarge;
        lock.lock();
        try {
            if (endWanted || abortedBecause != null) {
                data.release();
                return false;
            }
            if (!data.isReadable()) {
                data.release();
                return hasRoom();
            }
            waiting.add(data);
            waitingBytes += data.readableBytes();
            tooLarge = collector != null && waitingBytes > collectLimit;
            if (!tooLarge) {
                return hasRoom();
            }
        } finally {
            lock.unlock();
            if (collector == null) {
                sendSoon();
            }
        }
        abort(TOO_LARGE);
        return false;
    }

    /** Sends the end of the body, after whatever still waits for credit. */
    public void end() {
        lock.lock();
        try {
            if (endWanted || abortedBecause != null) {
                return;
            }
            endWanted = true;
            if (collector != null) {
                ended = true;
                CompositeByteBuf whole = link.alloc().compositeBuffer(Integer.MAX_VALUE);
                while (!waiting.isEmpty()) {
                    whole.addComponent(true, waiting.poll());
                }
                waitingBytes = 0;
                collector.accept(whole);
            }
        } finally {
            lock.unlock();
        }
        if (collector != null) {
            onFinished.run();
        } else {
            sendSoon();
        }
    }

    /** True while the receiver has room for more. */
    public boolean hasCredit() {
        lock.lock();
        try {
            return hasRoom();
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code action} once there is room: at once if there is, else when the receiver grants credit. */
    public void whenCredit(Runnable action) {
        lock.lock();
        try {
            if (!hasRoom() && abortedBecause == null) {
                onCredit = action;
                return;
            }
        } finally {
            lock.unlock();
        }
        action.run();
    }

    /** Blocks until there is room; false if the body was aborted meanwhile or {@code timeoutNanos} passed. */
    public boolean awaitCredit(long timeoutNanos) throws InterruptedException {
        lock.lock();
        try {
            long left = timeoutNanos;
            while (!hasRoom() && abortedBecause == null) {
                if (left <= 0) {
                    return false;
                }
                left = creditArrived.awaitNanos(left);
            }
            return abortedBecause == null;
        } finally {
            lock.unlock();
        }
    }

    /** Why the body was aborted, or {@code null} while it is not. */
    public String abortReason() {
        lock.lock();
        try {
            return abortedBecause;
        } finally {
            lock.unlock();
        }
    }

    /** Gives up on the body unfinished and tells the receiver, so it does not take a cut body for a whole one. */
    public void fail(String reason) {
        if (abort(reason)) {
            link.send(Frame.of(id, Cancel.newBuilder().setReason(reason).build()));
        }
    }

    /** The receiver granted {@code bytes} more; event loop only. */
    public void grant(int bytes) {
        lock.lock();
        try {
            if (abortedBecause != null) {
                return;
            }
            credit += bytes;
        } finally {
            lock.unlock();
        }
        sendNow();
    }

    private void sendSoon() {
        if (link.executor().inEventLoop()) {
            sendNow();
        } else if (sendScheduled.compareAndSet(false, true)) {
            link.executor().execute(() -> {
                sendScheduled.set(false);
                sendNow();
            });
        }
    }

    /** Sends what the credit allows and wakes a producer waiting for room; event loop only. */
    private void sendNow() {
        Runnable action = null;
        boolean finishedNow;
        lock.lock();
        try {
            if (abortedBecause != null) {
                return;
            }
            boolean wasEnded = ended;
            sendWhatCreditAllows();
            finishedNow = ended && !wasEnded;
            if (hasRoom() && onCredit != null) {
                action = onCredit;
                onCredit = null;
            }
            if (hasRoom()) {
                creditArrived.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (action != null) {
            action.run();
        }
        if (finishedNow) {
            onFinished.run();
        }
    }

    /** Stops the body locally; true if it was still going. */
    public boolean abort(String reason) {
        Runnable action;
        lock.lock();
        try {
            if (abortedBecause != null || ended) {
                return false;
            }
            abortedBecause = reason;
            releaseWaiting();
            action = onCredit;
            onCredit = null;
            creditArrived.signalAll();
        } finally {
            lock.unlock();
        }
        // A producer waiting for credit must wake up to notice the abort and stop.
        if (action != null) {
            action.run();
        }
        onFinished.run();
        return true;
    }

    /** Room for more: credit beyond what already waits to be sent. */
    private boolean hasRoom() {
        return credit - waitingBytes > 0;
    }

    private void releaseWaiting() {
        while (!waiting.isEmpty()) {
            waiting.poll().release();
        }
        waitingBytes = 0;
    }

    /** Sends waiting bytes up to the credit, then the end if it was asked for and nothing waits. Lock held. */
    private void sendWhatCreditAllows() {
        boolean sent = false;
        while (credit > 0 && !waiting.isEmpty()) {
            ByteBuf head = waiting.peek();
            int size = (int) Math.min(Math.min(credit, StreamWindow.MAX_CHUNK), head.readableBytes());
            ByteBuf piece;
            if (size == head.readableBytes()) {
                piece = waiting.poll();
            } else {
                piece = head.readRetainedSlice(size);
            }
            if (piece.isReadable()) {
                link.write(new BodyChunkFrame(id, reply, false, piece));
                sent = true;
            } else {
                piece.release();
            }
            credit -= size;
            waitingBytes -= size;
        }
        if (endWanted && !ended && waitingBytes == 0) {
            ended = true;
            link.write(new BodyChunkFrame(id, reply, true, Unpooled.EMPTY_BUFFER));
            sent = true;
        }
        if (sent) {
            link.flush();
        }
    }
}
