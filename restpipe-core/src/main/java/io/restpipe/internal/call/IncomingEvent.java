package io.restpipe.internal.call;

import io.netty.util.concurrent.EventExecutor;
import io.restpipe.PeerInfo;
import io.restpipe.PipeEvent;
import java.time.Instant;

/**
 * An event that arrived from a peer, with who sent it and until when the sender waits.
 *
 * @param deadline  the instant after which the caller no longer waits, or {@code null} when it gave none
 * @param eventLoop the event loop of the link the event came on (a Netty {@code EventLoop}), where work for this event runs without a thread hop
 */
public record IncomingEvent(PeerInfo peer, PipeEvent event, Instant deadline, EventExecutor eventLoop) {
}
