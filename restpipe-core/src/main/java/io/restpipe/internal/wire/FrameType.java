package io.restpipe.internal.wire;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.restpipe.internal.wire.proto.BodyChunk;
import io.restpipe.internal.wire.proto.Cancel;
import io.restpipe.internal.wire.proto.CertificateReply;
import io.restpipe.internal.wire.proto.CertificateRequest;
import io.restpipe.internal.wire.proto.Credit;
import io.restpipe.internal.wire.proto.Event;
import io.restpipe.internal.wire.proto.EventReply;
import io.restpipe.internal.wire.proto.GoAway;
import io.restpipe.internal.wire.proto.Heartbeat;
import io.restpipe.internal.wire.proto.HeartbeatReply;
import io.restpipe.internal.wire.proto.Hello;
import io.restpipe.internal.wire.proto.HelloReply;

/** The frame types of the pipe, each with its stable wire code and the message it carries. */
public enum FrameType {
    HEARTBEAT(0x01, Heartbeat.parser()),
    EVENT(0x02, Event.parser()),
    HELLO(0x03, Hello.parser()),
    BODY_CHUNK(0x04, BodyChunk.parser()),
    CREDIT(0x05, Credit.parser()),
    CANCEL(0x06, Cancel.parser()),
    GOAWAY(0x07, GoAway.parser()),
    CERTIFICATE_REQUEST(0x08, CertificateRequest.parser()),
    HEARTBEAT_REPLY(0x80, HeartbeatReply.parser()),
    EVENT_REPLY(0x81, EventReply.parser()),
    HELLO_REPLY(0x82, HelloReply.parser()),
    CERTIFICATE_REPLY(0x83, CertificateReply.parser());

    private static final FrameType[] BY_CODE = new FrameType[256];

    static {
        for (FrameType type : values()) {
            BY_CODE[type.code] = type;
        }
    }

    private final int code;
    private final Parser<? extends MessageLite> parser;

    FrameType(int code, Parser<? extends MessageLite> parser) {
        this.code = code;
        this.parser = parser;
    }

    public int code() {
        return code;
    }

    Parser<? extends MessageLite> parser() {
        return parser;
    }

    /** True for the types whose frames answer an earlier frame with the same id. */
    public boolean isReply() {
        return this == HEARTBEAT_REPLY || this == EVENT_REPLY || this == HELLO_REPLY || this == CERTIFICATE_REPLY;
    }

    /** The type for a wire code; throws {@link FrameException} for a code no version defines. */
    public static FrameType fromCode(int code) {
        FrameType type = (code >= 0 && code < BY_CODE.length) ? BY_CODE[code] : null;
        if (type == null) {
            throw new FrameException(String.format("unknown frame type 0x%02x", code));
        }
        return type;
    }

    /** The type of frame that carries {@code message}. */
    public static FrameType of(MessageLite message) {
        if (message instanceof Event) return EVENT;
        if (message instanceof EventReply) return EVENT_REPLY;
        if (message instanceof BodyChunk) return BODY_CHUNK;
        if (message instanceof Credit) return CREDIT;
        if (message instanceof Heartbeat) return HEARTBEAT;
        if (message instanceof HeartbeatReply) return HEARTBEAT_REPLY;
        if (message instanceof Cancel) return CANCEL;
        if (message instanceof GoAway) return GOAWAY;
        if (message instanceof Hello) return HELLO;
        if (message instanceof HelloReply) return HELLO_REPLY;
        if (message instanceof CertificateRequest) return CERTIFICATE_REQUEST;
        if (message instanceof CertificateReply) return CERTIFICATE_REPLY;
        throw new IllegalArgumentException("no frame type carries " + message.getClass().getName());
    }
}
