package io.restpipe.internal.gateway;

import java.util.List;

/**
 * What a gateway checks before a caller's call goes into the pipe.
 *
 * @param callers    who may call at all (401 otherwise); {@link CallerCheck#OPEN} lets anyone in
 * @param decorators wrap every call the gateway starts, the first one outermost
 */
public record GatewayAccess(CallerCheck callers, List<CallDecorator> decorators) {
    public GatewayAccess {
        decorators = List.copyOf(decorators);
    }

    /** Anyone may call anything: the gateway of today without {@code --gateway-auth} and {@code --acl}. */
    public static GatewayAccess open() {
        return new GatewayAccess(CallerCheck.OPEN, List.of());
    }

    boolean authenticates() {
        return callers != CallerCheck.OPEN;
    }
}
