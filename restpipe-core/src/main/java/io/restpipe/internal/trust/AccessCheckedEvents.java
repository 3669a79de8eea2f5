package io.restpipe.internal.trust;

import io.restpipe.PeerInfo;
import io.restpipe.PipeReply;
import io.restpipe.internal.call.DispatchDecorator;
import io.restpipe.internal.call.EventDispatcher;
import io.restpipe.internal.call.IncomingEvent;
import io.restpipe.internal.call.Replier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Checks each event a peer sends against the access policy before its handler runs (the {@code server} and
 * {@code client:NAME} rules), naming the sender by its certificate: a peer cannot get around its own gateway's
 * check. A denied event is answered 403, code {@link PipeReply#CODE_DENIED}. Thread-safe.
 */
public final class AccessCheckedEvents implements DispatchDecorator {
    private final AccessControl access;
    private final Function<PeerInfo, String> sender;
    private final String self;

    /**
     * @param sender the party rules name for a peer: {@code client:NAME} on the server, {@code server} on a client
     * @param self   this side as rules name it: {@code server}, or {@code client:} and its own name
     */
    public AccessCheckedEvents(AccessControl access, Function<PeerInfo, String> sender, String self) {
        this.access = access;
        this.sender = sender;
        this.self = self;
    }

    @Override
    public Future<?> dispatch(IncomingEvent incoming, Replier replier, EventDispatcher next) {
        String from = sender.apply(incoming.peer());
        String verb = incoming.event().verb();
        String noun = incoming.event().noun();
        AccessDecision decision = access.check(from, self, verb, noun);
        if (decision.allowed()) {
            return next.dispatch(incoming, replier);
        }
        replier.reply(PipeReply.error(PipeReply.CODE_DENIED, 403,
                AccessControl.denialMessage(decision, from, self, verb, noun)));
        return CompletableFuture.completedFuture(null);
    }
}
