package io.restpipe.internal.call;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.restpipe.StreamedBody;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameException;
import io.restpipe.internal.wire.FrameSink;
import io.restpipe.internal.wire.proto.Credit;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The receiving end of one streamed body: hands its pieces to one {@link BodyConsumer} and grants the sender
 * credit as the consumer reports bytes consumed. Pieces arriving before the consumer subscribes wait here; the
 * sender's credit bounds how many. Chunk delivery runs on the pipe's event loop; other methods are thread-safe.
 */
public final class InboundBody implements StreamedBody {
    private final FrameSink link;
    private final int id;
    private final boolean reply;
    private final long contentLength;
    private final java.util.function.Consumer<String> onDiscard;
    private final ArrayDeque<ByteBuf> waiting = new ArrayDeque<>();
    private final AtomicInteger consumedSinceGrant = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicBoolean subscribed = new java.util.concurrent.atomic.AtomicBoolean();
    private BodyConsumer consumer;
    private boolean ended;
    private String abortedBecause;
    /** Bytes received and not yet granted back; a sender that goes past its credit breaks the protocol. */
    private final java.util.concurrent.atomic.AtomicLong outstanding = new java.util.concurrent.atomic.AtomicLong();
    /** Bytes received and not yet consumed: while any are, the body still holds memory. */
    private final java.util.concurrent.atomic.AtomicLong unconsumed = new java.util.concurrent.atomic.AtomicLong();
    private final BodyMemory memory;
    private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean arrived;

    /**
     * @param memory    the budget this body reserved its window from; given back once the body is wholly consumed
     *                  or given up
     * @param onDiscard told when the receiver gives up on the body, so the sender can be stopped
     */
    public InboundBody(FrameSink link, int id, boolean reply, long contentLength, BodyMemory memory,
                java.util.function.Consumer<String> onDiscard) {
        this.link = link;
        this.id = id;
        this.reply = reply;
        this.contentLength = contentLength;
        this.memory = memory;
        this.onDiscard = onDiscard;
    }

    /** The pipe's own body behind {@code body}, which RestPipe made. */
    public static InboundBody of(StreamedBody body) {
        if (body instanceof InboundBody inbound) {
            return inbound;
        }
        throw new IllegalArgumentException("a streamed body comes from the pipe, not from " + body.getClass());
    }

    /** The total length the sender announced, or -1 when it did not know. */
    @Override
    public long contentLength() {
        return contentLength;
    }

    @Override
    public InputStream inputStream() {
        return new StreamedBodyInputStream(this);
    }

    /** Starts delivery to {@code consumer}, first of whatever arrived already. Once only. */
    public void subscribe(BodyConsumer consumer) {
        if (!subscribed.compareAndSet(false, true)) {
            throw new IllegalStateException("a streamed body is read once, and this one was opened already");
        }
        link.executor().execute(() -> {
            this.consumer = consumer;
            if (abortedBecause != null) {
                consumer.onAbort(abortedBecause);
                return;
            }
            while (!waiting.isEmpty()) {
                consumer.onData(waiting.poll());
            }
            if (ended) {
                consumer.onEnd();
            }
        });
    }

    /** The consumer is done with {@code bytes} more bytes; the sender may send that many more. Thread-safe. */
    public void consumed(int bytes) {
        if (unconsumed.addAndGet(-bytes) <= 0 && arrived) {
            releaseMemory();
        }
        int total = consumedSinceGrant.addAndGet(bytes);
        if (total >= StreamWindow.GRANT_THRESHOLD) {
            int grant = consumedSinceGrant.getAndSet(0);
            if (grant > 0) {
                outstanding.addAndGet(-grant);
                link.send(Frame.of(id, Credit.newBuilder().setBytes(grant).setReply(reply).build()));
            }
        }
    }

    /** Gives up on the body: what waits is released, no more is delivered, the sender is told. Thread-safe. */
    public void discard() {
        link.executor().execute(() -> {
            if (!isDone()) {
                abort("discarded by its receiver");
                onDiscard.accept("receiver discarded the body");
            } else {
                dropWaiting();
            }
        });
    }

    /** A piece arrived; event loop only. Takes ownership of {@code data}. */
    public void onChunk(ByteBuf data, boolean last) {
        if (ended || abortedBecause != null) {
            data.release();
            return;
        }
        unconsumed.addAndGet(data.readableBytes());
        long unacknowledged = outstanding.addAndGet(data.readableBytes());
        if (unacknowledged > StreamWindow.INITIAL_CREDIT) {
            data.release();
            throw new FrameException("peer sent " + unacknowledged + " body bytes for call #"
                    + Integer.toUnsignedString(id) + " without credit");
        }
        if (consumer == null) {
            if (data.isReadable()) {
                waiting.add(BodyPieces.detached(data));
            } else {
                data.release();
            }
        } else if (data.isReadable()) {
            consumer.onData(data);
        } else {
            data.release();
        }
        if (last) {
            ended = true;
            arrived = true;
            if (unconsumed.get() <= 0) {
                releaseMemory();
            }
            if (consumer != null) {
                consumer.onEnd();
            }
        }
    }

    /** Ends the body unfinished, from any thread. */
    public void abortOnLoop(String reason) {
        if (link.executor().inEventLoop()) {
            abort(reason);
        } else {
            link.executor().execute(() -> abort(reason));
        }
    }

    /** Ends the body unfinished; event loop only. */
    public void abort(String reason) {
        if (ended || abortedBecause != null) {
            dropWaiting();
            return;
        }
        abortedBecause = reason;
        dropWaiting();
        if (consumer != null) {
            consumer.onAbort(reason);
        }
    }

    /** Nobody will read what waits (the body ended or was given up before a consumer took it): free it. */
    private void dropWaiting() {
        while (!waiting.isEmpty()) {
            ReferenceCountUtil.release(waiting.poll());
        }
        releaseMemory();
    }

    private void releaseMemory() {
        if (released.compareAndSet(false, true)) {
            memory.release(BodyMemory.STREAM_WINDOW);
        }
    }

    public boolean isDone() {
        return ended || abortedBecause != null;
    }
}
