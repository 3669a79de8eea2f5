package io.restpipe.pipe;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.restpipe.wire.BodyChunkFrame;
import io.restpipe.wire.Frame;
import io.restpipe.wire.proto.Cancel;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The sending end of one streamed body: writes it as body chunks, never further ahead of the receiver than the
 * credit it granted. Event-loop producers use {@link #whenCredit}; threads that may block use
 * {@link #awaitCredit}. Thread-safe.
 */
public final class OutboundBody {
    private final Channel channel;
    private final int id;
    private final boolean reply;
    private final Runnable onFinished;
    /** For a v1 peer, which cannot take body chunks: the body is gathered here and sent inline at the end. */
    private final java.util.function.Consumer<ByteBuf> collector;
    private io.netty.buffer.CompositeByteBuf collected;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition creditArrived = lock.newCondition();
    private long credit = StreamWindow.INITIAL_CREDIT;
    private Runnable onCredit;
    private boolean ended;
    private String abortedBecause;

    /**
     * @param onFinished runs once the body has ended or was aborted
     * @param collector  when not null, takes the whole body at its end instead of it going out in chunks
     */
    OutboundBody(Channel channel, int id, boolean reply, Runnable onFinished,
                 java.util.function.Consumer<ByteBuf> collector) {
        this.channel = channel;
        this.id = id;
        this.reply = reply;
        this.onFinished = onFinished;
        this.collector = collector;
        if (collector != null) {
            this.collected = channel.alloc().compositeBuffer(Integer.MAX_VALUE);
            this.credit = Long.MAX_VALUE;
        }
    }

    /**
     * Sends {@code data} (taking ownership of it) and returns whether credit is left for more. A write may go past
     * the credit by its own size; writes after an abort are dropped.
     */
    public boolean write(ByteBuf data) {
        lock.lock();
        try {
            if (ended || abortedBecause != null) {
                data.release();
                return false;
            }
            if (collected != null) {
                collected.addComponent(true, data);
                return true;
            }
            credit -= data.readableBytes();
            while (data.readableBytes() > StreamWindow.MAX_CHUNK) {
                channel.write(new BodyChunkFrame(id, reply, false, data.readRetainedSlice(StreamWindow.MAX_CHUNK)));
            }
            channel.writeAndFlush(new BodyChunkFrame(id, reply, false, data));
            return credit > 0;
        } finally {
            lock.unlock();
        }
    }

    /** Sends the end of the body. */
    public void end() {
        lock.lock();
        try {
            if (ended || abortedBecause != null) {
                return;
            }
            ended = true;
            if (collected != null) {
                collector.accept(collected);
                collected = null;
            } else {
                channel.writeAndFlush(new BodyChunkFrame(id, reply, true, Unpooled.EMPTY_BUFFER));
            }
        } finally {
            lock.unlock();
        }
        onFinished.run();
    }

    /** True while the receiver has room for more. */
    public boolean hasCredit() {
        lock.lock();
        try {
            return credit > 0;
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code action} once there is credit: at once if there is, else when the receiver grants some. */
    public void whenCredit(Runnable action) {
        lock.lock();
        try {
            if (credit <= 0 && abortedBecause == null) {
                onCredit = action;
                return;
            }
        } finally {
            lock.unlock();
        }
        action.run();
    }

    /**
     * Blocks until there is credit; returns false if the body was aborted meanwhile or {@code timeoutNanos} passed.
     */
    public boolean awaitCredit(long timeoutNanos) throws InterruptedException {
        lock.lock();
        try {
            long left = timeoutNanos;
            while (credit <= 0 && abortedBecause == null) {
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
        boolean wasLive;
        lock.lock();
        try {
            wasLive = !ended && abortedBecause == null;
        } finally {
            lock.unlock();
        }
        if (wasLive) {
            abort(reason);
            channel.writeAndFlush(Frame.of(id, Cancel.newBuilder().setReason(reason).build()));
        }
    }

    void grant(int bytes) {
        Runnable action = null;
        lock.lock();
        try {
            boolean wasBlocked = credit <= 0;
            credit += bytes;
            if (wasBlocked && credit > 0) {
                action = onCredit;
                onCredit = null;
                creditArrived.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (action != null) {
            action.run();
        }
    }

    void abort(String reason) {
        Runnable action;
        lock.lock();
        try {
            if (abortedBecause != null || ended) {
                return;
            }
            abortedBecause = reason;
            if (collected != null) {
                collected.release();
                collected = null;
            }
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
    }
}
