package io.restpipe.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.restpipe.HeaderField;
import io.restpipe.PipeEvent;
import io.restpipe.PipeReply;
import io.restpipe.internal.wire.proto.Event;
import io.restpipe.internal.wire.proto.EventReply;
import io.restpipe.internal.wire.proto.Header;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Events and replies to their wire messages and back: every field of v2, the forms a v1 peer writes and reads
 * (lowercase verb, arguments folded into the noun), nouns whose segments hold an encoded slash, and the status of a
 * reply that carries none.
 */
class WireMappingTest {
    private static final List<HeaderField> HEADERS = List.of(new HeaderField("X-Trace", "abc"),
            new HeaderField("Accept", "text/plain"), new HeaderField("X-Trace", "def"));
    private static final byte[] BODY = {0, 1, 2, (byte) 0xff, 'h', 'i'};

    @Test
    void theRequestIdTravelsAndAnEventWithoutOneArrivesWithoutOne() {
        assertThat(WireMapping.fromWire(WireMapping.toWire(EVENT.withRequestId("order-4711"), false, null, false, -1))
                .requestId()).isEqualTo("order-4711");
        assertThat(WireMapping.fromWire(WireMapping.toWire(EVENT, false, null, false, -1)).requestId()).isNull();
    }

    private static final PipeEvent EVENT = new PipeEvent("POST", "files/upload", List.of("a b", "c/d", "é"),
            "x=1&y=%20", HEADERS, "application/octet-stream", BODY, null, null);

    @Test
    void anEventSurvivesTheWireWithEveryField() {
        Event wire = WireMapping.toWire(EVENT, false, Duration.ofMillis(2500), false, -1);

        assertThat(wire.getVersion()).isEqualTo(WireMapping.PROTOCOL_VERSION);
        assertThat(wire.getVerb()).isEqualTo("POST");
        assertThat(wire.getNoun()).isEqualTo("files/upload");
        assertThat(wire.getArgumentsList()).containsExactly("a b", "c/d", "é");
        assertThat(wire.getQuery()).isEqualTo("x=1&y=%20");
        assertThat(wire.getHeadersList()).extracting(Header::getName, Header::getValue).containsExactly(
                tuple("X-Trace", "abc"),
                tuple("Accept", "text/plain"),
                tuple("X-Trace", "def"));
        assertThat(wire.getMimetype()).isEqualTo("application/octet-stream");
        assertThat(wire.getData().toByteArray()).isEqualTo(BODY);
        assertThat(wire.getTimeoutMs()).isEqualTo(2500);
        assertThat(wire.hasBodyFollows()).isFalse();
        assertThat(wire.hasContentLength()).isFalse();
        assertThat(wire.getNounPathCount()).isZero();

        PipeEvent back = WireMapping.fromWire(reparsed(wire));
        assertThat(back.verb()).isEqualTo("POST");
        assertThat(back.noun()).isEqualTo("files/upload");
        assertThat(back.nounPath()).containsExactly("files", "upload");
        assertThat(back.arguments()).containsExactly("a b", "c/d", "é");
        assertThat(back.query()).isEqualTo("x=1&y=%20");
        assertThat(back.headers()).isEqualTo(HEADERS);
        assertThat(back.contentType()).isEqualTo("application/octet-stream");
        assertThat(back.body()).isEqualTo(BODY);
        assertThat(back.timeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(back.stream()).isNull();
    }

    @Test
    void anEventWithoutTimeoutContentTypeOrQuerySendsNoneOfThem() {
        Event wire = WireMapping.toWire(PipeEvent.of("GET", "time"), false, null, false, -1);
        assertThat(wire.hasTimeoutMs()).isFalse();
        assertThat(wire.hasMimetype()).isFalse();
        assertThat(wire.hasQuery()).isFalse();
        assertThat(wire.getArgumentsCount()).isZero();
        assertThat(wire.getHeadersCount()).isZero();
        assertThat(wire.getData()).isEqualTo(ByteString.EMPTY);

        PipeEvent back = WireMapping.fromWire(reparsed(wire));
        assertThat(back.timeout()).isNull();
        assertThat(back.contentType()).isNull();
        assertThat(back.query()).isEmpty();
        assertThat(back.arguments()).isEmpty();
        assertThat(back.body()).isEmpty();
    }

    @Test
    void aStreamedEventSaysItsBodyFollowsAndItsLengthWhenKnown() {
        Event known = WireMapping.toWire(PipeEvent.of("PUT", "big"), false, null, true, 5_000_000_000L);
        assertThat(known.getBodyFollows()).isTrue();
        assertThat(known.getContentLength()).isEqualTo(5_000_000_000L);

        Event unknown = WireMapping.toWire(PipeEvent.of("PUT", "big"), false, null, true, -1);
        assertThat(unknown.getBodyFollows()).isTrue();
        assertThat(unknown.hasContentLength()).isFalse();

        Event inline = WireMapping.toWire(PipeEvent.of("PUT", "big"), false, null, false, 10);
        assertThat(inline.hasBodyFollows()).isFalse();
        assertThat(inline.hasContentLength()).as("a length without a streamed body means nothing").isFalse();
    }

    @Test
    void aTimeoutLongerThanTheFieldHoldsIsCappedRatherThanWrapped() {
        Event wire = WireMapping.toWire(PipeEvent.of("GET", "slow"), false, Duration.ofDays(30), false, -1);
        assertThat(wire.getTimeoutMs()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void toAV1PeerTheVerbIsLowercaseAndTheArgumentsArePercentEncodedIntoTheNoun() {
        Event wire = WireMapping.toWire(EVENT, true, Duration.ofSeconds(1), false, -1);
        assertThat(wire.getVerb()).isEqualTo("post");
        assertThat(wire.getNoun()).isEqualTo("files/upload//a%20b/c%2Fd/%C3%A9");
        assertThat(wire.getArgumentsCount()).isZero();
        assertThat(wire.getNounPathCount()).isZero();
        // What a v1 peer ignores still travels; it costs nothing.
        assertThat(wire.getQuery()).isEqualTo("x=1&y=%20");

        PipeEvent back = WireMapping.fromWire(reparsed(wire));
        assertThat(back.verb()).isEqualTo("POST");
        assertThat(back.noun()).isEqualTo("files/upload");
        assertThat(back.arguments()).containsExactly("a b", "c/d", "é");
    }

    @Test
    void toAV1PeerAnEventWithoutArgumentsKeepsItsBareNoun() {
        Event wire = WireMapping.toWire(PipeEvent.of("DELETE", "cache/all"), true, null, false, -1);
        assertThat(wire.getVerb()).isEqualTo("delete");
        assertThat(wire.getNoun()).isEqualTo("cache/all");
    }

    @Test
    void fromAV1PeerALowercaseVerbAndArgumentsInTheNounAreUnderstood() {
        Event wire = Event.newBuilder().setVersion(1).setVerb("get").setNoun("cat//hello%20/w%C3%B6rld/%2F")
                .setMimetype("text/plain").setData(ByteString.copyFromUtf8("body")).build();

        PipeEvent event = WireMapping.fromWire(wire);

        assertThat(event.verb()).isEqualTo("GET");
        assertThat(event.noun()).isEqualTo("cat");
        assertThat(event.nounPath()).containsExactly("cat");
        assertThat(event.arguments()).containsExactly("hello ", "wörld", "/");
        assertThat(event.contentType()).isEqualTo("text/plain");
        assertThat(new String(event.body(), StandardCharsets.UTF_8)).isEqualTo("body");
        assertThat(event.timeout()).isNull();
    }

    @Test
    void argumentsOfTheirOwnWinOverADoubleSlashInTheNoun() {
        Event wire = Event.newBuilder().setVersion(2).setVerb("GET").setNoun("a//b").addArguments("x").build();
        PipeEvent event = WireMapping.fromWire(wire);
        assertThat(event.noun()).isEqualTo("a//b");
        assertThat(event.arguments()).containsExactly("x");
    }

    @Test
    void aNounSegmentHoldingAnEncodedSlashTravelsInNounPath() {
        PipeEvent event = new PipeEvent("GET", "files/a/b.txt", List.of("x"), "", List.of(), null, null, null, null,
                List.of("files", "a/b.txt"));

        Event wire = WireMapping.toWire(event, false, null, false, -1);
        assertThat(wire.getNoun()).isEqualTo("files/a/b.txt");
        assertThat(wire.getNounPathList()).containsExactly("files", "a/b.txt");

        PipeEvent back = WireMapping.fromWire(reparsed(wire));
        assertThat(back.noun()).isEqualTo("files/a/b.txt");
        assertThat(back.nounPath()).containsExactly("files", "a/b.txt");
        assertThat(back.arguments()).containsExactly("x");
    }

    @Test
    void aNounPathThatDoesNotSpellTheNounIsIgnored() {
        Event wire = Event.newBuilder().setVersion(2).setVerb("GET").setNoun("files/a/b.txt")
                .addAllNounPath(List.of("other", "a/b.txt")).build();
        PipeEvent event = WireMapping.fromWire(wire);
        assertThat(event.noun()).isEqualTo("files/a/b.txt");
        assertThat(event.nounPath()).containsExactly("files", "a", "b.txt");
    }

    @Test
    void aNounWhoseEncodedSlashesMakeADoubleSlashIsNotTakenForV1Arguments() {
        // The gateway makes this event of GET /server/dir%2F/file: segments "dir/" and "file", the noun "dir//file".
        PipeEvent event = new PipeEvent("GET", "dir//file", List.of(), "", List.of(), null, null, null, null,
                List.of("dir/", "file"));

        Event wire = WireMapping.toWire(event, false, null, false, -1);
        assertThat(wire.getNounPathList()).containsExactly("dir/", "file");

        PipeEvent back = WireMapping.fromWire(reparsed(wire));
        assertThat(back.noun()).isEqualTo("dir//file");
        assertThat(back.nounPath()).containsExactly("dir/", "file");
        assertThat(back.arguments()).isEmpty();
    }

    @Test
    void aReplySurvivesTheWireWithEveryField() {
        PipeReply reply = new PipeReply(PipeReply.CODE_OK, 201, "application/json", HEADERS, BODY);

        EventReply wire = WireMapping.toWire(reply, false, -1);
        assertThat(wire.getVersion()).isEqualTo(WireMapping.PROTOCOL_VERSION);
        assertThat(wire.getCode()).isZero();
        assertThat(wire.getStatus()).isEqualTo(201);
        assertThat(wire.hasBodyFollows()).isFalse();

        PipeReply back = WireMapping.fromWire(reparsed(wire));
        assertThat(back.code()).isEqualTo(PipeReply.CODE_OK);
        assertThat(back.status()).isEqualTo(201);
        assertThat(back.contentType()).isEqualTo("application/json");
        assertThat(back.headers()).isEqualTo(HEADERS);
        assertThat(back.body()).isEqualTo(BODY);
        assertThat(back.stream()).isNull();
    }

    @Test
    void statusOkIsLeftOffTheWireAndComesBackAsOk() {
        EventReply wire = WireMapping.toWire(new PipeReply(PipeReply.CODE_OK, 200, null, List.of(), null), false, -1);
        assertThat(wire.hasStatus()).isFalse();
        assertThat(wire.hasMimetype()).isFalse();

        PipeReply back = WireMapping.fromWire(reparsed(wire));
        assertThat(back.status()).isEqualTo(200);
        assertThat(back.contentType()).isNull();
        assertThat(back.body()).isEmpty();
    }

    @Test
    void anErrorReplyKeepsItsCodeAndStatus() {
        PipeReply refused = PipeReply.refused("too many calls");
        PipeReply back = WireMapping.fromWire(reparsed(WireMapping.toWire(refused, false, -1)));
        assertThat(back.code()).isEqualTo(PipeReply.CODE_REFUSED);
        assertThat(back.status()).isEqualTo(503);
        assertThat(back.bodyText()).isEqualTo("{\"error\":\"too many calls\"}");
    }

    @Test
    void aReplyWithACodeOfItsOwnAndStatusOkStaysOk() {
        // What a handler returns for Reply.text("...").code(7): handled its own way, answered 200.
        PipeReply reply = new PipeReply(7, 200, "text/plain", List.of(), "fine".getBytes(StandardCharsets.UTF_8));
        PipeReply back = WireMapping.fromWire(reparsed(WireMapping.toWire(reply, false, -1)));
        assertThat(back.code()).isEqualTo(7);
        assertThat(back.status()).isEqualTo(200);
    }

    @Test
    void aStreamedReplySaysItsBodyFollowsAndItsLengthWhenKnown() {
        PipeReply head = new PipeReply(PipeReply.CODE_OK, 200, "video/mp4", List.of(), null);
        EventReply known = WireMapping.toWire(head, true, 1L << 33);
        assertThat(known.getBodyFollows()).isTrue();
        assertThat(known.getContentLength()).isEqualTo(1L << 33);

        EventReply unknown = WireMapping.toWire(head, true, -1);
        assertThat(unknown.getBodyFollows()).isTrue();
        assertThat(unknown.hasContentLength()).isFalse();
    }

    @Test
    void aV1ReplyWithoutStatusIsOkWhenHandled() {
        PipeReply reply = WireMapping.fromWire(v1Reply(PipeReply.CODE_OK));
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.code()).isEqualTo(PipeReply.CODE_OK);
        assertThat(reply.contentType()).isEqualTo("application/json");
        assertThat(reply.bodyText()).isEqualTo("{}");
    }

    @Test
    void aV1ReplyWithoutStatusIsNotFoundWhenThePeerHadNoHandler() {
        assertThat(WireMapping.fromWire(v1Reply(PipeReply.CODE_NO_HANDLER)).status()).isEqualTo(404);
    }

    @Test
    void aV1ReplyWithoutStatusIsAServerErrorWhenTheHandlerFailedOrForAnyOtherCode() {
        assertThat(WireMapping.fromWire(v1Reply(PipeReply.CODE_HANDLER_FAILED)).status()).isEqualTo(500);
        assertThat(WireMapping.fromWire(v1Reply(3)).status()).isEqualTo(500);
    }

    @Test
    void aV1ReplyWithoutAnyCodeIsOk() {
        EventReply wire = EventReply.newBuilder().setVersion(1).setData(ByteString.copyFromUtf8("ok")).build();
        assertThat(WireMapping.fromWire(wire).status()).isEqualTo(200);
    }

    private static EventReply v1Reply(int code) {
        return EventReply.newBuilder().setVersion(1).setMimetype("application/json").setCode(code)
                .setData(ByteString.copyFromUtf8("{}")).build();
    }

    /** {@code wire} as the peer parses it, so what only the builder remembered does not count. */
    private static Event reparsed(Event wire) {
        try {
            return Event.parseFrom(wire.toByteArray());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static EventReply reparsed(EventReply wire) {
        try {
            return EventReply.parseFrom(wire.toByteArray());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
