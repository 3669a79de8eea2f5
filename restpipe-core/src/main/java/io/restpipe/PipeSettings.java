package io.restpipe;

import java.time.Duration;

/**
 * The timing and size knobs of a pipe.
 *
 * @param heartbeatInterval how often the client sends a heartbeat; the server drops a pipe silent for twice this
 * @param heartbeatTimeout  how long the client waits for a heartbeat's reply before it drops the pipe and reconnects
 * @param connectWait       how long a call waits for its target pipe to be (re)connected before it fails as
 *                          unavailable
 * @param eventTimeout      how long a call waits for its reply, from the moment it is sent, before it fails with
 *                          deadline exceeded and the peer is told to cancel
 * @param drainTimeout      on shutdown, how long calls in flight may still take before the pipe is closed
 * @param maxFramePayload   the largest frame payload accepted, in bytes; a frame announcing more closes the pipe
 * @param maxPipes          on the server, the most pipes open at once (0 = no limit); more are refused at once
 * @param maxPipeCalls      calls in flight on one pipe in each direction; past it a call is refused with 503
 * @param maxQueuedBytes    bytes of replies queued for a peer that is not reading them; past it this side stops
 *                          reading from that peer, and closes its pipe if it stays past it for a heartbeat interval
 */
public record PipeSettings(
        Duration heartbeatInterval,
        Duration heartbeatTimeout,
        Duration connectWait,
        Duration eventTimeout,
        Duration drainTimeout,
        int maxFramePayload,
        int maxPipes,
        int maxPipeCalls,
        int maxQueuedBytes) {

    public static final int DEFAULT_MAX_FRAME_PAYLOAD = 16 * 1024 * 1024;
    public static final int DEFAULT_MAX_PIPES = 20_000;
    public static final int DEFAULT_MAX_PIPE_CALLS = 1_000;
    public static final int DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024;

    public static PipeSettings defaults() {
        return new PipeSettings(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(20),
                Duration.ofSeconds(60), Duration.ofSeconds(10), DEFAULT_MAX_FRAME_PAYLOAD, DEFAULT_MAX_PIPES,
                DEFAULT_MAX_PIPE_CALLS, DEFAULT_MAX_QUEUED_BYTES);
    }

    public PipeSettings withHeartbeat(Duration interval, Duration timeout) {
        return new PipeSettings(interval, timeout, connectWait, eventTimeout, drainTimeout, maxFramePayload, maxPipes,
                maxPipeCalls, maxQueuedBytes);
    }

    public PipeSettings withConnectWait(Duration wait) {
        return new PipeSettings(heartbeatInterval, heartbeatTimeout, wait, eventTimeout, drainTimeout,
                maxFramePayload, maxPipes, maxPipeCalls, maxQueuedBytes);
    }

    public PipeSettings withEventTimeout(Duration timeout) {
        return new PipeSettings(heartbeatInterval, heartbeatTimeout, connectWait, timeout, drainTimeout,
                maxFramePayload, maxPipes, maxPipeCalls, maxQueuedBytes);
    }

    public PipeSettings withDrainTimeout(Duration timeout) {
        return new PipeSettings(heartbeatInterval, heartbeatTimeout, connectWait, eventTimeout, timeout,
                maxFramePayload, maxPipes, maxPipeCalls, maxQueuedBytes);
    }

    public PipeSettings withMaxPipes(int pipes) {
        return new PipeSettings(heartbeatInterval, heartbeatTimeout, connectWait, eventTimeout, drainTimeout,
                maxFramePayload, pipes, maxPipeCalls, maxQueuedBytes);
    }

    public PipeSettings withMaxPipeCalls(int calls) {
        return new PipeSettings(heartbeatInterval, heartbeatTimeout, connectWait, eventTimeout, drainTimeout,
                maxFramePayload, maxPipes, calls, maxQueuedBytes);
    }

    public PipeSettings withMaxQueuedBytes(int bytes) {
        return new PipeSettings(heartbeatInterval, heartbeatTimeout, connectWait, eventTimeout, drainTimeout,
                maxFramePayload, maxPipes, maxPipeCalls, bytes);
    }
}
