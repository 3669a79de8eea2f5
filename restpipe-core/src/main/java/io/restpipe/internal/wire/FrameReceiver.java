package io.restpipe.internal.wire;

/**
 * Takes the frames of calls that a link reads (events, replies, body chunks, credit, cancels and hellos), and hears
 * when that link ends: the call state of the peer on the other end. Event loop of the link only.
 */
public interface FrameReceiver {
    /** {@code frame} is a {@link Frame} or a {@link BodyChunkFrame}, owned by the receiver from here on. */
    void frameArrived(Object frame);

    /** The link that wrote through {@code link} is gone; no frame of it arrives after this. */
    void linkClosed(FrameSink link, String reason);
}
