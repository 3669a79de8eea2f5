package io.restpipe.internal.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.restpipe.PeerInfo;
import io.restpipe.PipeEvent;
import io.restpipe.PipeException;
import io.restpipe.PipeReply;
import io.restpipe.PipeSettings;
import io.restpipe.internal.call.BodyMemory;
import io.restpipe.internal.call.EventDispatcher;
import io.restpipe.internal.call.InboundBody;
import io.restpipe.internal.call.IncomingEvent;
import io.restpipe.internal.call.PeerCalls;
import io.restpipe.internal.call.RecordingConsumer;
import io.restpipe.internal.call.Replier;
import io.restpipe.internal.link.PipeLink;
import io.restpipe.internal.metrics.PipeMetrics;
import io.restpipe.internal.wire.BodyChunkFrame;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameType;
import io.restpipe.internal.wire.proto.Credit;
import io.restpipe.internal.wire.proto.Event;
import io.restpipe.internal.wire.proto.EventReply;
import io.restpipe.internal.wire.proto.Hello;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A peer's streamed bodies under credit, through its call state attached to a link on an embedded channel: a peer
 * that sends past the credit it was given breaks the protocol, and its pipe is closed with everything on it; one
 * that waits for credit keeps its pipe.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CreditOverPipeTest {
    private static final PeerInfo PEER = new PeerInfo("peer", new InetSocketAddress("127.0.0.1", 4000));
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** What a sender may have unacknowledged per body before any credit came back. */
    private static final int CREDIT = (int) BodyMemory.STREAM_WINDOW;
    private static final int CHUNK = 256 * 1024;

    private final BodyMemory memory = new BodyMemory(256L << 20);
    /** The peer's events as the dispatcher got them, by call id; their handlers never finish on their own. */
    private final Map<Integer, Dispatched> dispatched = new ConcurrentHashMap<>();
    private final EventDispatcher dispatcher = (event, replier) -> {
        Dispatched call = new Dispatched(event, replier, new CompletableFuture<>());
        dispatched.put(dispatched.size(), call);
        return call.task();
    };

    private EmbeddedChannel channel;
    private PipeLink link;
    private PeerCalls calls;

    /** This side as a server, with a v2 client on the other end that said hello. */
    private void open() {
        calls = new PeerCalls(PEER, false, dispatcher, PipeSettings.defaults(), PipeMetrics.discarding(), memory);
        channel = new EmbeddedChannel();
        channel.freezeTime();
        link = new PipeLink(channel, PEER);
        channel.pipeline().addLast(link);
        new Peer(link, calls);
        channel.writeInbound(Frame.of(0, Hello.newBuilder().setProtocolVersion(2).build()));
        assertThat(written()).extracting(Frame::type).containsExactly(FrameType.HELLO_REPLY);
    }

    @AfterEach
    void releaseWhatIsLeft() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void aPeerThatSendsARequestBodyPastItsCreditClosesThePipe() {
        open();
        CompletableFuture<PipeReply> ours = calls.call(PipeEvent.of("GET", "time"), TIMEOUT);
        assertThat(written()).extracting(Frame::type).containsExactly(FrameType.EVENT);
        channel.writeInbound(Frame.of(7, streamedEvent("upload")));
        channel.writeInbound(Frame.of(9, Event.newBuilder().setVersion(2).setVerb("GET").setNoun("slow").build()));
        Recorder upload = subscribe(dispatched.get(0));
        assertThat(memory.held()).isEqualTo(BodyMemory.STREAM_WINDOW);

        // The handler reads nothing, so no credit comes back: all the credit may be used, not one byte more.
        sendBody(7, false, CREDIT);
        assertThat(channel.isActive()).isTrue();
        assertThat(written()).as("no credit granted").isEmpty();
        channel.writeInbound(chunk(7, false, 1));
        channel.runPendingTasks();

        assertThat(channel.isActive()).isFalse();
        assertThat(link.closeFuture()).isCompleted();
        assertThat(link.closeFuture().join()).startsWith("protocol error: ").contains("call #7", "without credit");
        // Everything that was on the pipe ends: the offender's call, the peer's other call, and ours to it.
        assertThat(upload.last()).startsWith("abort: pipe closed: protocol error");
        assertThat(dispatched.get(0).task()).isCancelled();
        assertThat(dispatched.get(1).task()).isCancelled();
        assertThatThrownBy(ours::join).cause().isInstanceOfSatisfying(PipeException.class, e -> {
            assertThat(e.kind()).isEqualTo(PipeException.Kind.UNAVAILABLE);
            assertThat(e.getMessage()).contains("protocol error");
        });
        assertThat(calls.inFlight()).isZero();
        assertThat(memory.held()).as("the body's window is given back").isZero();
    }

    @Test
    void aPeerThatSendsPastItsCreditBeforeAnyHandlerReadsHasWhatWaitedReleased() {
        open();
        channel.writeInbound(Frame.of(7, streamedEvent("upload")));
        List<ByteBuf> sent = sendBody(7, false, CREDIT);
        channel.writeInbound(chunk(7, false, CHUNK));
        channel.runPendingTasks();

        assertThat(channel.isActive()).isFalse();
        assertThat(link.closeFuture().join()).startsWith("protocol error: ");
        assertThat(sent).allSatisfy(piece -> assertThat(piece.refCnt()).isZero());
        assertThat(memory.held()).isZero();
        // The handler never subscribed; when it does, it hears why the body will not complete.
        Recorder late = subscribe(dispatched.get(0));
        assertThat(late.seen).hasSize(1);
        assertThat(late.last()).startsWith("abort: pipe closed: protocol error");
    }

    @Test
    void aPeerThatStreamsAReplyBodyPastItsCreditClosesThePipe() {
        open();
        CompletableFuture<PipeReply> ours = calls.call(PipeEvent.of("GET", "download"), TIMEOUT);
        Frame event = written().get(0);
        channel.writeInbound(Frame.of(event.id(), EventReply.newBuilder().setVersion(2).setCode(0)
                .setBodyFollows(true).build()));
        PipeReply reply = ours.join();
        Recorder download = new Recorder();
        InboundBody.of(reply.stream()).subscribe(download);
        channel.runPendingTasks();

        sendBody(event.id(), true, CREDIT);
        assertThat(channel.isActive()).isTrue();
        channel.writeInbound(chunk(event.id(), true, 1));
        channel.runPendingTasks();

        assertThat(channel.isActive()).isFalse();
        assertThat(link.closeFuture().join()).startsWith("protocol error: ").contains("without credit");
        assertThat(download.last()).startsWith("abort: ").contains("closed: protocol error");
        assertThat(calls.inFlight()).isZero();
        assertThat(memory.held()).isZero();
    }

    @Test
    void aPeerThatSendsOnlyWhatItWasGrantedKeepsItsPipe() {
        open();
        channel.writeInbound(Frame.of(7, streamedEvent("upload")));
        Recorder upload = subscribe(dispatched.get(0));
        InboundBody body = InboundBody.of(dispatched.get(0).incoming().event().stream());
        upload.consumeWith(body);

        sendBody(7, false, CREDIT);
        List<Frame> credit = written();
        assertThat(credit).isNotEmpty().allSatisfy(frame -> {
            assertThat(frame.type()).isEqualTo(FrameType.CREDIT);
            assertThat(frame.id()).isEqualTo(7);
            assertThat(frame.as(Credit.class).getReply()).isFalse();
        });
        int granted = credit.stream().mapToInt(frame -> frame.as(Credit.class).getBytes()).sum();
        assertThat(granted).isEqualTo(CREDIT);

        // Twice the first window in all: more than the initial credit, within what was granted.
        sendBody(7, false, granted);
        channel.writeInbound(new BodyChunkFrame(7, false, true, channel.alloc().buffer(0)));
        channel.runPendingTasks();

        assertThat(channel.isActive()).isTrue();
        assertThat(upload.total).isEqualTo(2L * CREDIT);
        assertThat(upload.last()).isEqualTo("end");
        assertThat(memory.held()).isZero();
        written();
    }

    private static Event streamedEvent(String noun) {
        return Event.newBuilder().setVersion(2).setVerb("PUT").setNoun(noun).setBodyFollows(true).build();
    }

    /** Sends {@code bytes} of body for call {@code id} as the peer would, in chunks; returns the buffers sent. */
    private List<ByteBuf> sendBody(int id, boolean reply, int bytes) {
        List<ByteBuf> sent = new ArrayList<>();
        for (int left = bytes; left > 0; left -= CHUNK) {
            BodyChunkFrame chunk = chunk(id, reply, Math.min(left, CHUNK));
            sent.add(chunk.content());
            channel.writeInbound(chunk);
        }
        return sent;
    }

    private BodyChunkFrame chunk(int id, boolean reply, int size) {
        return new BodyChunkFrame(id, reply, false, channel.alloc().buffer(size).writeZero(size));
    }

    private Recorder subscribe(Dispatched call) {
        Recorder consumer = new Recorder();
        InboundBody.of(call.incoming().event().stream()).subscribe(consumer);
        channel.runPendingTasks();
        return consumer;
    }

    /** The frames this side wrote since the last look; body chunks released. */
    private List<Frame> written() {
        channel.runPendingTasks();
        List<Frame> frames = new ArrayList<>();
        Object frame;
        while ((frame = channel.readOutbound()) != null) {
            if (frame instanceof Frame parsed) {
                frames.add(parsed);
            } else {
                ReferenceCountUtil.release(frame);
            }
        }
        return frames;
    }

    private record Dispatched(IncomingEvent incoming, Replier replier, CompletableFuture<Void> task) {
    }

    /** A handler's reading of a body: notes what it hears and releases each piece; consumes only if told to. */
    private static final class Recorder extends RecordingConsumer {
        long total;
        private InboundBody consuming;

        String last() {
            return seen.isEmpty() ? null : seen.get(seen.size() - 1);
        }

        void consumeWith(InboundBody body) {
            consuming = body;
        }

        @Override
        public void onData(ByteBuf data) {
            int size = data.readableBytes();
            total += size;
            data.release();
            if (consuming != null) {
                consuming.consumed(size);
            }
        }
    }
}
