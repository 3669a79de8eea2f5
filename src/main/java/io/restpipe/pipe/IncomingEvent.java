package io.restpipe.pipe;

import io.netty.channel.EventLoop;
import java.time.Instant;

/**
 * An event that arrived from a peer, with who sent it and until when the sender waits.
 *
 * @param deadline  the instant after which the caller no longer waits, or {@code null} when it gave none
 * @param eventLoop the pipe's event loop, where work for this event runs without a thread hop
 */
public record IncomingEvent(PeerInfo peer, PipeEvent event, Instant deadline, EventLoop eventLoop) {
}
