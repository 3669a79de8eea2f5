package io.restpipe.internal.call;

/** The flow-control sizes of streamed bodies. */
final class StreamWindow {
    /** Bytes a sender may have unacknowledged per body before the first credit arrives, and the most it may have. */
    static final int INITIAL_CREDIT = 4 << 20;
    /** The largest piece of body one frame carries. */
    static final int MAX_CHUNK = 256 * 1024;
    /** A receiver sends credit once this many bytes were consumed since its last grant, so credit frames stay few. */
    static final int GRANT_THRESHOLD = INITIAL_CREDIT / 8;

    private StreamWindow() {
    }
}
