package io.restpipe.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.restpipe.internal.wire.proto.BodyChunk;
import io.restpipe.internal.wire.proto.Cancel;
import io.restpipe.internal.wire.proto.Event;
import io.restpipe.internal.wire.proto.EventReply;
import io.restpipe.internal.wire.proto.GoAway;
import io.restpipe.internal.wire.proto.Heartbeat;
import io.restpipe.internal.wire.proto.HeartbeatReply;
import io.restpipe.internal.wire.proto.Hello;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameCodecTest {
    private static final int LIMIT = 1024;

    private static final Event EVENT = Event.newBuilder().setVersion(2).setVerb("POST").setNoun("files/upload")
            .setMimetype("text/plain").setData(ByteString.copyFromUtf8("hello")).addArguments("a b").build();

    @Test
    void everyFrameTypeSurvivesEncodeThenDecode() {
        List<Frame> frames = List.of(
                Frame.of(1, Heartbeat.getDefaultInstance()),
                Frame.of(1, HeartbeatReply.getDefaultInstance()),
                Frame.of(3, EVENT),
                Frame.of(3, EventReply.newBuilder().setVersion(2).setCode(0).setData(ByteString.copyFromUtf8("{}"))
                        .build()),
                Frame.of(0, Hello.newBuilder().setProtocolVersion(2).addCapabilities("cancel").build()),
                Frame.of(5, Cancel.newBuilder().setReason("deadline").build()),
                Frame.of(0, GoAway.newBuilder().setReason("bye").build()),
                Frame.of(-2, EVENT)); // ids are unsigned 32-bit: 0xFFFFFFFE

        for (Frame frame : frames) {
            Frame decoded = roundTrip(frame);
            assertThat(decoded.type()).isEqualTo(frame.type());
            assertThat(decoded.id()).isEqualTo(frame.id());
            assertThat(decoded.flags()).isEqualTo(frame.flags());
            assertThat(decoded.message()).isEqualTo(frame.message());
        }
    }

    @Test
    void headerIsTheTenByteV1Layout() {
        ByteBuf bytes = encode(Frame.of(0x01020304, EVENT));
        try {
            assertThat(bytes.getUnsignedByte(0)).isEqualTo((short) 0x02);
            assertThat(bytes.getUnsignedByte(1)).isEqualTo((short) 0);
            assertThat(bytes.getInt(2)).isEqualTo(EVENT.getSerializedSize());
            assertThat(bytes.getInt(6)).isEqualTo(0x01020304);
            assertThat(bytes.readableBytes()).isEqualTo(10 + EVENT.getSerializedSize());
        } finally {
            bytes.release();
        }
        ByteBuf reply = encode(Frame.of(7, HeartbeatReply.getDefaultInstance()));
        assertThat(reply.getUnsignedByte(0)).isEqualTo((short) 0x80);
        assertThat(reply.getUnsignedByte(1)).isEqualTo((short) Frame.FLAG_REPLY);
        reply.release();
    }

    @Test
    void framesSplitAtEveryByteStillDecode() {
        ByteBuf whole = Unpooled.buffer();
        ByteBuf first = encode(Frame.of(1, EVENT));
        ByteBuf second = encode(Frame.of(2, Heartbeat.getDefaultInstance()));
        whole.writeBytes(first).writeBytes(second);
        first.release();
        second.release();

        for (int split = 0; split <= whole.readableBytes(); split++) {
            EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(LIMIT));
            channel.writeInbound(whole.retainedSlice(0, split));
            channel.writeInbound(whole.retainedSlice(split, whole.readableBytes() - split));
            Frame a = channel.readInbound();
            Frame b = channel.readInbound();
            assertThat(a.message()).as("split at %d", split).isEqualTo(EVENT);
            assertThat(b.type()).isEqualTo(FrameType.HEARTBEAT);
            assertThat((Object) channel.readInbound()).isNull();
            assertThat(channel.finish()).isFalse();
        }
        whole.release();
    }

    @Test
    void frameByteByByteDecodes() {
        ByteBuf bytes = encode(Frame.of(9, EVENT));
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(LIMIT));
        while (bytes.isReadable()) {
            channel.writeInbound(bytes.readRetainedSlice(1));
        }
        bytes.release();
        Frame frame = channel.readInbound();
        assertThat(frame.id()).isEqualTo(9);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void headerAnnouncingMoreThanTheLimitIsRejectedBeforeItsPayloadArrives() {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(LIMIT));
        ByteBuf header = Unpooled.buffer().writeByte(0x02).writeByte(0).writeInt(LIMIT + 1).writeInt(1);
        assertThatThrownBy(() -> channel.writeInbound(header))
                .isInstanceOf(FrameException.class)
                .hasMessageContaining("over the limit of " + LIMIT);
        channel.finishAndReleaseAll();
    }

    @Test
    void headerAnnouncingFourGigabytesIsRejected() {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(LIMIT));
        ByteBuf header = Unpooled.buffer().writeByte(0x02).writeByte(0).writeInt(-1).writeInt(1);
        assertThatThrownBy(() -> channel.writeInbound(header)).hasMessageContaining("4294967295 bytes");
        channel.finishAndReleaseAll();
    }

    @Test
    void unknownFrameTypeIsRejected() {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(LIMIT));
        ByteBuf frame = Unpooled.buffer().writeByte(0x42).writeByte(0).writeInt(0).writeInt(1);
        assertThatThrownBy(() -> channel.writeInbound(frame)).hasMessageContaining("unknown frame type 0x42");
        channel.finishAndReleaseAll();
    }

    @Test
    void payloadThatDoesNotParseIsRejected() {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(LIMIT));
        ByteBuf frame = Unpooled.buffer().writeByte(0x02).writeByte(0).writeInt(3).writeInt(1)
                .writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
        assertThatThrownBy(() -> channel.writeInbound(frame)).hasMessageContaining("does not parse");
        channel.finishAndReleaseAll();
    }

    @Test
    void bytesAfterABrokenFrameAreDiscardedNotDecoded() {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(LIMIT));
        ByteBuf broken = Unpooled.buffer().writeByte(0x42).writeByte(0).writeInt(0).writeInt(1);
        assertThatThrownBy(() -> channel.writeInbound(broken)).isInstanceOf(FrameException.class);
        channel.writeInbound(encode(Frame.of(1, EVENT)));
        assertThat((Object) channel.readInbound()).isNull();
        channel.finishAndReleaseAll();
    }

    @Test
    void aFrameJustAtTheLimitDecodes() {
        Event big = Event.newBuilder().setData(ByteString.copyFrom(new byte[LIMIT - 3])).build();
        assertThat(big.getSerializedSize()).isEqualTo(LIMIT);
        assertThat(roundTrip(Frame.of(1, big)).message()).isEqualTo(big);
    }

    @Test
    void bodyChunkKeepsItsDataAndFlagsAndIsValidProtobuf() throws Exception {
        byte[] data = new byte[70_000];
        new java.util.Random(1).nextBytes(data);
        EmbeddedChannel encoder = new EmbeddedChannel(new BodyChunkEncoder());
        encoder.writeOutbound(new BodyChunkFrame(41, true, true, Unpooled.wrappedBuffer(data)));
        ByteBuf wire = Unpooled.buffer();
        for (ByteBuf piece; (piece = encoder.readOutbound()) != null; ) {
            wire.writeBytes(piece);
            piece.release();
        }
        // What any protobuf parser makes of our hand-written payload:
        BodyChunk parsed = BodyChunk.parseFrom(java.util.Arrays.copyOfRange(
                ByteBufUtil.getBytes(wire), Frame.HEADER_LENGTH, wire.readableBytes()));
        assertThat(parsed.getData().toByteArray()).isEqualTo(data);
        assertThat(parsed.getLast()).isTrue();
        assertThat(parsed.getReply()).isTrue();

        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(1 << 20));
        decoder.writeInbound(wire);
        BodyChunkFrame chunk = decoder.readInbound();
        assertThat(chunk.id()).isEqualTo(41);
        assertThat(chunk.reply()).isTrue();
        assertThat(chunk.last()).isTrue();
        assertThat(ByteBufUtil.getBytes(chunk.content())).isEqualTo(data);
        chunk.release();
        assertThat(decoder.finish()).isFalse();
    }

    @Test
    void bodyChunkWrittenByProtobufItselfDecodes() {
        BodyChunk message = BodyChunk.newBuilder().setData(ByteString.copyFromUtf8("piece")).setReply(false).build();
        byte[] payload = message.toByteArray();
        ByteBuf frame = Unpooled.buffer().writeByte(0x04).writeByte(0).writeInt(payload.length).writeInt(9)
                .writeBytes(payload);
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(LIMIT));
        decoder.writeInbound(frame);
        BodyChunkFrame chunk = decoder.readInbound();
        assertThat(chunk.content().toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("piece");
        assertThat(chunk.last()).isFalse();
        chunk.release();
        decoder.finishAndReleaseAll();
    }

    @Test
    void bodyChunkWhoseDataOverrunsItsFrameIsRejected() {
        ByteBuf frame = Unpooled.buffer().writeByte(0x04).writeByte(0).writeInt(3).writeInt(1)
                .writeByte(0x0A).writeByte(100).writeByte(1);
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(LIMIT));
        assertThatThrownBy(() -> decoder.writeInbound(frame)).hasMessageContaining("overruns its frame");
        decoder.finishAndReleaseAll();
    }

    @Test
    void bodyChunkFieldWhoseLengthReadsNegativeIsRejectedAsOverrun() {
        // Found by FrameDecoderFuzzTest: an unknown length-delimited field whose length varint is 2^63 or more.
        ByteBuf frame = Unpooled.buffer().writeByte(0x04).writeByte(0).writeInt(12).writeInt(1)
                .writeByte(0x82).writeByte(0x01) // field 16, length-delimited
                .writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                        (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01}); // 2^64 - 1
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(LIMIT));
        assertThatThrownBy(() -> decoder.writeInbound(frame))
                .isInstanceOf(FrameException.class)
                .hasMessageContaining("18446744073709551615 bytes overruns its frame");
        decoder.finishAndReleaseAll();
    }

    private static Frame roundTrip(Frame frame) {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(LIMIT));
        channel.writeInbound(encode(frame));
        Frame decoded = channel.readInbound();
        assertThat(channel.finish()).isFalse();
        return decoded;
    }

    private static ByteBuf encode(Frame frame) {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameEncoder());
        channel.writeOutbound(frame);
        ByteBuf bytes = channel.readOutbound();
        channel.finish();
        return bytes;
    }
}
