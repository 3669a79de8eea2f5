package io.restpipe.internal.call;

import io.netty.buffer.ByteBuf;

/**
 * Pieces of streamed bodies arrive as slices of the pipe's read buffers, which saves a copy while they pass straight
 * through. A slice that has to wait (for a slow reader, a slow upstream, a handler behind) keeps its whole read buffer
 * alive, and other bodies' pieces in it with it; so many slow bodies would hold far more memory than their credit
 * windows, which is what the body budget counts. A piece about to wait is copied out first. Thread-safe.
 */
public final class BodyPieces {
    private BodyPieces() {
    }

    /**
     * Bytes a connection may have waiting before the pieces written to it are copied: a reader that keeps up (a bulk
     * transfer) stays under it and costs no copy; a slow one pins no more than this of the read buffers.
     */
    public static final long PINNED_PER_CONNECTION = 1 << 20;

    /**
     * {@code piece}, to be written to a connection with {@code bytesBeforeWritable} waiting past its high-water mark
     * (0 while it is writable): as it is while little waits there, else as a buffer of its own (see
     * {@link #detached}).
     */
    public static ByteBuf forWriting(ByteBuf piece, long bytesBeforeWritable) {
        return bytesBeforeWritable < PINNED_PER_CONNECTION ? piece : detached(piece);
    }

    /** {@code piece} as a buffer of its own (taking ownership of it), if it is a view of a larger one. */
    public static ByteBuf detached(ByteBuf piece) {
        if (piece.unwrap() == null) {
            return piece;
        }
        ByteBuf copy = piece.alloc().ioBuffer(piece.readableBytes());
        copy.writeBytes(piece, piece.readerIndex(), piece.readableBytes());
        piece.release();
        return copy;
    }
}
