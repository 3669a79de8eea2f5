package io.restpipe.internal.wire;

import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

/**
 * Where a peer's calls write their frames: the link they are attached to, as the call layer sees it (grpc-java's
 * framing writes to a sink in the same way, never to a channel). Writes from any thread are ordered by the link's
 * event loop, {@link #executor()}. Thread-safe.
 */
public interface FrameSink {
    /** The link's event loop: frames are written there, and timers and body work run there. */
    EventExecutor executor();

    ByteBufAllocator alloc();

    /** Writes {@code frame} ({@link Frame} or {@link BodyChunkFrame}) and flushes; fails when the link is gone. */
    Future<Void> send(Object frame);

    /** Writes {@code frame} without flushing; {@link #flush()} sends what was written. */
    void write(Object frame);

    void flush();

    /** True while the link is open and neither side has said it is going away. */
    boolean isOpen();

    /** Why {@link #isOpen()} is false: "closed" or "going away". */
    String state();

    /** Stops reading from the peer, which sends calls past its limits, until {@link #resumeReading()}. */
    void pauseReading();

    void resumeReading();

    /** True while reading is paused by {@link #pauseReading()}. */
    boolean isReadingPaused();
}
