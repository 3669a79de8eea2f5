package io.restpipe.internal.wire;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.restpipe.HeaderField;
import io.restpipe.PipeEvent;
import io.restpipe.PipeReply;
import io.restpipe.internal.util.PercentCoding;
import io.restpipe.internal.wire.proto.Event;
import io.restpipe.internal.wire.proto.EventReply;
import io.restpipe.internal.wire.proto.Header;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Converts calls and replies between their Java records and their wire messages, v1 quirks included. */
public final class WireMapping {
    /** The protocol version this implementation speaks; v1 peers send 1. */
    public static final int PROTOCOL_VERSION = 2;

    private WireMapping() {
    }

    /**
     * The wire form of an event. A v1 peer knows neither arguments nor uppercase verbs, so for it the arguments
     * ride in the noun after {@code //}, as the original gateway wrote them, and the verb is lowercased.
     */
    public static Event toWire(PipeEvent event, boolean v1Peer, Duration timeout, boolean bodyFollows, long contentLength) {
        Event.Builder wire = Event.newBuilder()
                .setVersion(PROTOCOL_VERSION)
                .setData(bytes(event.body()));
        if (event.contentType() != null) {
            wire.setMimetype(event.contentType());
        }
        if (v1Peer) {
            wire.setVerb(event.verb().toLowerCase(Locale.ROOT)).setNoun(nounWithArguments(event));
        } else {
            wire.setVerb(event.verb()).setNoun(event.noun()).addAllArguments(event.arguments());
            if (hasEncodedSlash(event)) {
                wire.addAllNounPath(event.nounPath());
            }
        }
        if (!event.query().isEmpty()) {
            wire.setQuery(event.query());
        }
        if (event.requestId() != null) {
            wire.setRequestId(event.requestId());
        }
        for (HeaderField header : event.headers()) {
            wire.addHeaders(Header.newBuilder().setName(header.name()).setValue(header.value()));
        }
        if (timeout != null) {
            wire.setTimeoutMs((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        }
        if (bodyFollows) {
            wire.setBodyFollows(true);
            if (contentLength >= 0) {
                wire.setContentLength(contentLength);
            }
        }
        return wire.build();
    }

    public static PipeEvent fromWire(Event wire) {
        String noun = wire.getNoun();
        List<String> arguments = wire.getArgumentsList();
        // A noun whose own segments hold encoded slashes can show "//" without carrying v1 arguments.
        boolean pathSpellsNoun = wire.getNounPathCount() > 0 && String.join("/", wire.getNounPathList()).equals(noun);
        int split = noun.indexOf("//");
        if (arguments.isEmpty() && split >= 0 && !pathSpellsNoun) {
            arguments = PercentCoding.decodeSegments(noun.substring(split + 2));
            noun = noun.substring(0, split);
        }
        List<HeaderField> headers = new ArrayList<>(wire.getHeadersCount());
        for (Header header : wire.getHeadersList()) {
            headers.add(new HeaderField(header.getName(), header.getValue()));
        }
        return new PipeEvent(wire.getVerb(), noun, arguments, wire.getQuery(), headers,
                wire.hasMimetype() ? wire.getMimetype() : null, wire.getData().toByteArray(),
                wire.hasTimeoutMs() ? Duration.ofMillis(wire.getTimeoutMs()) : null, null,
                pathSpellsNoun ? wire.getNounPathList() : null, wire.hasRequestId() ? wire.getRequestId() : null);
    }

    public static EventReply toWire(PipeReply reply, boolean bodyFollows, long contentLength) {
        EventReply.Builder wire = EventReply.newBuilder()
                .setVersion(PROTOCOL_VERSION)
                .setCode(reply.code())
                .setData(bytes(reply.body()));
        if (reply.contentType() != null) {
            wire.setMimetype(reply.contentType());
        }
        // Without a status a reader takes a v1 reply's code for its status (255 → 404, others → 500).
        if (reply.status() != 200 || reply.code() != PipeReply.CODE_OK) {
            wire.setStatus(reply.status());
        }
        for (HeaderField header : reply.headers()) {
            wire.addHeaders(Header.newBuilder().setName(header.name()).setValue(header.value()));
        }
        if (bodyFollows) {
            wire.setBodyFollows(true);
            if (contentLength >= 0) {
                wire.setContentLength(contentLength);
            }
        }
        return wire.build();
    }

    public static PipeReply fromWire(EventReply wire) {
        List<HeaderField> headers = new ArrayList<>(wire.getHeadersCount());
        for (Header header : wire.getHeadersList()) {
            headers.add(new HeaderField(header.getName(), header.getValue()));
        }
        int status = wire.hasStatus() ? wire.getStatus() : defaultStatus(wire.getCode());
        return new PipeReply(wire.getCode(), status, wire.hasMimetype() ? wire.getMimetype() : null, headers,
                wire.getData().toByteArray());
    }

    /** v1 replies carry no status: derive it from the return code as the error table of the gateway does. */
    private static int defaultStatus(int code) {
        return switch (code) {
            case PipeReply.CODE_OK -> 200;
            case PipeReply.CODE_NO_HANDLER -> 404;
            default -> 500;
        };
    }

    private static String nounWithArguments(PipeEvent event) {
        if (event.arguments().isEmpty()) {
            return event.noun();
        }
        StringBuilder noun = new StringBuilder(event.noun()).append('/');
        for (String argument : event.arguments()) {
            noun.append('/').append(PercentCoding.encodeSegment(argument));
        }
        return noun.toString();
    }

    private static ByteString bytes(byte[] body) {
        return body.length == 0 ? ByteString.EMPTY : UnsafeByteOperations.unsafeWrap(body);
    }

    /** True when some segment of the noun holds a {@code /} of its own, which the noun alone cannot show. */
    private static boolean hasEncodedSlash(PipeEvent event) {
        for (String segment : event.nounPath()) {
            if (segment.indexOf('/') >= 0) {
                return true;
            }
        }
        return false;
    }
}
