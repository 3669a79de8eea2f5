package io.restpipe.internal.gateway;

import io.restpipe.PipeEvent;

/**
 * One call a gateway caller asked for, as the call decorators see it.
 *
 * @param caller        the caller's name from {@code --gateway-auth}, or {@code ""} when the gateway is open
 * @param target        whom the call is for, as the caller wrote it (the server's gateway: a client's name or
 *                      address; the client's: {@code ""})
 * @param streamBody    whether the request body streams after the event instead of coming inline
 * @param contentLength the declared length of a streamed body, or -1
 */
public record GatewayCall(String caller, String target, PipeEvent event, boolean streamBody, long contentLength) {

    public GatewayCall withTarget(String newTarget) {
        return new GatewayCall(caller, newTarget, event, streamBody, contentLength);
    }
}
