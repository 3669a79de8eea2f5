package io.restpipe.internal.call;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A streamed request body as a blocking {@link InputStream} for a handler thread: pieces queue up as they arrive
 * (no more than the sender's credit) and each byte read returns credit to the sender.
 */
public final class StreamedBodyInputStream extends InputStream implements BodyConsumer {
    private static final Object END = new Object();

    private final InboundBody body;
    private final LinkedBlockingQueue<Object> pieces = new LinkedBlockingQueue<>();
    private ByteBuf current;
    private boolean finished;
    private String abortReason;

    public StreamedBodyInputStream(InboundBody body) {
        this.body = body;
        body.subscribe(this);
    }

    private boolean closed;

    @Override
    public synchronized void onData(ByteBuf data) {
        if (closed) {
            data.release();
        } else {
            // The handler reads on its own thread, and is often a piece or more behind.
            pieces.add(BodyPieces.detached(data));
        }
    }

    @Override
    public void onEnd() {
        pieces.add(END);
    }

    @Override
    public void onAbort(String reason) {
        pieces.add(new Aborted(reason));
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        if (!advance()) {
            return -1;
        }
        int n = Math.min(length, current.readableBytes());
        current.readBytes(target, offset, n);
        body.consumed(n);
        return n;
    }

    /** Makes {@link #current} a piece with bytes left; false at the end of the body. */
    private boolean advance() throws IOException {
        while (current == null || !current.isReadable()) {
            if (current != null) {
                current.release();
                current = null;
            }
            if (finished) {
                return false;
            }
            if (abortReason != null) {
                throw new IOException("request body was cut off: " + abortReason);
            }
            Object next;
            try {
                next = pieces.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading the request body");
            }
            if (next == END) {
                finished = true;
            } else if (next instanceof Aborted aborted) {
                abortReason = aborted.reason;
            } else {
                current = (ByteBuf) next;
            }
        }
        return true;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (current != null) {
            current.release();
            current = null;
        }
        if (!finished) {
            body.discard();
        }
        Object left;
        while ((left = pieces.poll()) != null) {
            if (left instanceof ByteBuf buf) {
                buf.release();
            }
        }
        finished = true;
    }

    private record Aborted(String reason) {
    }
}
