package io.restpipe.internal.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.restpipe.PeerInfo;
import io.restpipe.PipeEvent;
import io.restpipe.PipeException;
import io.restpipe.PipeReply;
import io.restpipe.PipeSettings;
import io.restpipe.internal.call.BodyMemory;
import io.restpipe.internal.call.EventDispatcher;
import io.restpipe.internal.call.IncomingEvent;
import io.restpipe.internal.call.PeerCalls;
import io.restpipe.internal.call.Replier;
import io.restpipe.internal.link.PipeLink;
import io.restpipe.internal.metrics.PipeMetrics;
import io.restpipe.internal.wire.BodyChunkFrame;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameType;
import io.restpipe.internal.wire.proto.Cancel;
import io.restpipe.internal.wire.proto.Event;
import io.restpipe.internal.wire.proto.EventReply;
import io.restpipe.internal.wire.proto.GoAway;
import io.restpipe.internal.wire.proto.Hello;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A peer's call state attached to a link on an embedded channel with a fake clock: ids, replies, deadlines, cancels,
 * v1 peers.
 */
class PeerCallsTest {
    private static final PeerInfo PEER = new PeerInfo("peer", new InetSocketAddress("127.0.0.1", 4000));
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    private final AtomicReference<IncomingEvent> dispatched = new AtomicReference<>();
    private final AtomicReference<Replier> replier = new AtomicReference<>();
    private final CompletableFuture<Void> handlerTask = new CompletableFuture<>();
    private final EventDispatcher dispatcher = (event, reply) -> {
        dispatched.set(event);
        replier.set(reply);
        return handlerTask;
    };

    private EmbeddedChannel channel;
    private PipeLink link;
    private PeerCalls session;

    private void open(boolean clientSide) {
        session = new PeerCalls(PEER, clientSide, dispatcher, PipeSettings.defaults(), PipeMetrics.discarding(),
                BodyMemory.unlimited());
        attachNewLink();
    }

    /** A new embedded link to the same peer, with the call state attached to it. */
    private void attachNewLink() {
        channel = new EmbeddedChannel();
        channel.freezeTime();
        link = new PipeLink(channel, PEER);
        channel.pipeline().addLast(link);
        new Peer(link, session);
    }

    private Frame written() {
        channel.runPendingTasks();
        return channel.readOutbound();
    }

    @Test
    void clientCallsUseOddIdsAndCompleteWithTheMatchingReply() throws Exception {
        open(true);
        CompletableFuture<PipeReply> first = session.call(PipeEvent.of("GET", "time"), TIMEOUT);
        CompletableFuture<PipeReply> second = session.call(PipeEvent.of("GET", "cat", "x"), TIMEOUT);
        Frame a = written();
        Frame b = written();
        assertThat(a.id()).isEqualTo(1);
        assertThat(b.id()).isEqualTo(3);
        assertThat(b.as(Event.class).getArgumentsList()).containsExactly("x");
        assertThat(a.as(Event.class).getTimeoutMs()).isEqualTo(3000);

        channel.writeInbound(Frame.of(3, reply("second")));
        channel.writeInbound(Frame.of(1, reply("first")));
        assertThat(first.get().bodyText()).isEqualTo("first");
        assertThat(second.get().bodyText()).isEqualTo("second");
        assertThat(session.inFlight()).isZero();
    }

    @Test
    void serverCallsUseEvenIds() {
        open(false);
        channel.writeInbound(Frame.of(0, Hello.newBuilder().setProtocolVersion(2).build()));
        assertThat(written().type()).isEqualTo(FrameType.HELLO_REPLY);
        session.call(PipeEvent.of("GET", "time"), TIMEOUT);
        assertThat(written().id()).isEqualTo(2);
    }

    @Test
    void callFailsWithDeadlineExceededAndTellsThePeerToCancel() {
        open(true);
        CompletableFuture<PipeReply> call = session.call(PipeEvent.of("GET", "slow"), TIMEOUT);
        int id = written().id();

        channel.advanceTimeBy(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();

        assertThatThrownBy(call::get).hasCauseInstanceOf(PipeException.class)
                .cause().satisfies(e -> assertThat(((PipeException) e).kind())
                        .isEqualTo(PipeException.Kind.DEADLINE_EXCEEDED));
        Frame cancel = written();
        assertThat(cancel.type()).isEqualTo(FrameType.CANCEL);
        assertThat(cancel.id()).isEqualTo(id);

        // A reply arriving after the deadline is dropped quietly.
        channel.writeInbound(Frame.of(id, reply("late")));
        assertThat(session.inFlight()).isZero();
        assertThat(channel.isActive()).isTrue();
    }

    @Test
    void cancellingTheCallerFutureTellsThePeerToCancel() {
        open(true);
        CompletableFuture<PipeReply> call = session.call(PipeEvent.of("GET", "slow"), TIMEOUT);
        int id = written().id();
        call.cancel(true);
        Frame cancel = written();
        assertThat(cancel.type()).isEqualTo(FrameType.CANCEL);
        assertThat(cancel.id()).isEqualTo(id);
    }

    @Test
    void callsInFlightFailAsUnavailableWhenThePipeCloses() {
        open(true);
        CompletableFuture<PipeReply> call = session.call(PipeEvent.of("GET", "time"), TIMEOUT);
        written();
        link.close("test closes it");
        assertThatThrownBy(call::get).isInstanceOf(ExecutionException.class)
                .hasMessageContaining("closed while the call was in flight: test closes it");
        assertThat(link.closeFuture()).isCompletedWithValue("test closes it");
    }

    @Test
    void peersEventIsDispatchedAndItsReplySentWithTheSameId() {
        open(true);
        channel.writeInbound(Frame.of(8, Event.newBuilder().setVersion(2).setVerb("POST").setNoun("files/x")
                .addArguments("a").setQuery("q=1").setData(ByteString.copyFromUtf8("body")).setTimeoutMs(2000)
                .build()));
        IncomingEvent incoming = dispatched.get();
        assertThat(incoming.peer()).isEqualTo(PEER);
        assertThat(incoming.event().noun()).isEqualTo("files/x");
        assertThat(incoming.event().arguments()).containsExactly("a");
        assertThat(incoming.event().query()).isEqualTo("q=1");
        assertThat(incoming.deadline()).isNotNull();
        assertThat(session.inFlight()).isEqualTo(1);

        replier.get().reply(new PipeReply(0, 201, "text/plain", List.of(), "done".getBytes()));
        Frame reply = written();
        assertThat(reply.type()).isEqualTo(FrameType.EVENT_REPLY);
        assertThat(reply.id()).isEqualTo(8);
        assertThat(reply.flags()).isEqualTo(Frame.FLAG_REPLY);
        assertThat(reply.as(EventReply.class).getStatus()).isEqualTo(201);
        assertThat(session.inFlight()).isZero();
    }

    @Test
    void peersCancelStopsTheHandlerAndNoReplyIsSent() {
        open(true);
        channel.writeInbound(Frame.of(8, Event.newBuilder().setVersion(2).setVerb("GET").setNoun("slow").build()));
        channel.writeInbound(Frame.of(8, Cancel.newBuilder().setReason("deadline").build()));
        assertThat(handlerTask).isCancelled();
        replier.get().reply(new PipeReply(0, 200, null, List.of(), null));
        assertThat((Object) written()).isNull();
    }

    @Test
    void v1PeerEventWithArgumentsInTheNounAndALowercaseVerbIsUnderstood() {
        open(false);
        channel.writeInbound(Frame.of(12345, Event.newBuilder().setVersion(1).setVerb("get")
                .setNoun("cat//hello%20/world").build()));
        assertThat(dispatched.get().event().verb()).isEqualTo("GET");
        assertThat(dispatched.get().event().noun()).isEqualTo("cat");
        assertThat(dispatched.get().event().arguments()).containsExactly("hello ", "world");
    }

    @Test
    void serverWritesEventsTheV1WayToAPeerThatNeverSaidHello() {
        open(false);
        session.call(PipeEvent.of("GET", "cat", "a b", "c"), TIMEOUT);
        Event event = written().as(Event.class);
        assertThat(event.getVerb()).isEqualTo("get");
        assertThat(event.getNoun()).isEqualTo("cat//a%20b/c");
        assertThat(event.getArgumentsCount()).isZero();
    }

    @Test
    void afterGoAwayNewCallsFailAtOnceButCallsInFlightFinish() throws Exception {
        open(true);
        CompletableFuture<PipeReply> inFlight = session.call(PipeEvent.of("GET", "time"), TIMEOUT);
        int id = written().id();
        channel.writeInbound(Frame.of(0, GoAway.newBuilder().setReason("restart").build()));
        assertThat(session.isAvailable()).isFalse();
        assertThatThrownBy(() -> session.call(PipeEvent.of("GET", "time"), TIMEOUT).get())
                .hasMessageContaining("going away");
        channel.writeInbound(Frame.of(id, reply("ok")));
        assertThat(inFlight.get().bodyText()).isEqualTo("ok");
    }

    @Test
    void streamFramesForACallThatEndedAreDroppedQuietly() {
        open(true);
        channel.writeInbound(Frame.of(1, io.restpipe.internal.wire.proto.Credit.newBuilder().setBytes(10).build()));
        channel.writeInbound(new BodyChunkFrame(7, false, false, Unpooled.copiedBuffer(new byte[100])));
        assertThat(channel.isActive()).isTrue();
    }

    private static EventReply reply(String body) {
        return EventReply.newBuilder().setVersion(2).setCode(0).setData(ByteString.copyFromUtf8(body)).build();
    }

    @Test
    void aDispatcherThatThrowsFailsThatCallWith500AndThePipeStaysUp() {
        session = new PeerCalls(PEER, true, (event, reply) -> {
            throw new IllegalStateException("a decorator's bug");
        }, PipeSettings.defaults(), PipeMetrics.discarding(), BodyMemory.unlimited());
        attachNewLink();
        channel.writeInbound(Frame.of(8, Event.newBuilder().setVersion(2).setVerb("GET").setNoun("time").build()));
        Frame reply = written();
        assertThat(reply.id()).isEqualTo(8);
        assertThat(reply.as(EventReply.class).getStatus()).isEqualTo(500);
        assertThat(reply.as(EventReply.class).getCode()).isEqualTo(PipeReply.CODE_HANDLER_FAILED);
        assertThat(channel.isActive()).isTrue();
        assertThat(session.inFlight()).isZero();
    }

    @Test
    void aNewLinkTakesTheCallsOfTheSamePeerWithFreshIdsAfterTheOldOneFailedItsOwn() throws Exception {
        open(true);
        CompletableFuture<PipeReply> onOld = session.call(PipeEvent.of("GET", "time"), TIMEOUT);
        assertThat(written().id()).isEqualTo(1);
        EmbeddedChannel old = channel;
        link.close("link lost");
        assertThatThrownBy(onOld::get).hasMessageContaining("link lost");

        attachNewLink();
        assertThat(session.isAvailable()).isTrue();
        CompletableFuture<PipeReply> onNew = session.call(PipeEvent.of("GET", "time"), TIMEOUT);
        Frame sent = written();
        assertThat(sent.id()).isEqualTo(3);
        assertThat((Object) old.readOutbound()).isNull();
        channel.writeInbound(Frame.of(3, reply("again")));
        assertThat(onNew.get().bodyText()).isEqualTo("again");
    }
}
