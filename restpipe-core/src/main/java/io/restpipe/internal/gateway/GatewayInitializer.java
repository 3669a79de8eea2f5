package io.restpipe.internal.gateway;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.restpipe.GatewayLimits;
import io.restpipe.internal.call.BodyMemory;
import io.restpipe.internal.util.ConnectionLimit;
import io.restpipe.internal.util.EventLoops;

/** Builds a gateway connection's pipeline: the connection limit, the request clocks, HTTP/1.1, then the gateway. */
final class GatewayInitializer extends ChannelInitializer<SocketChannel> {
    private static final byte[] FULL = RawResponses.error(503, "Service Unavailable",
            "the gateway is at its limit of connections (--max-connections)");

    private final GatewayRole role;
    private final CallerCheck callers;
    private final boolean authenticates;
    private final CallDecorator.CallStarter calls;
    private final AdminRoutes adminRoutes;
    private final GatewayLimits limits;
    private final CallBudget budget;
    private final BodyMemory bodyMemory;
    private final ConnectionLimit connections;

    GatewayInitializer(GatewayRole role, GatewayBackend backend, GatewayLimits limits, BodyMemory bodyMemory) {
        this(role, backend, GatewayAccess.open(), limits, bodyMemory);
    }

    /** @param access who may call, and the decorators around every call this gateway starts */
    GatewayInitializer(GatewayRole role, GatewayBackend backend, GatewayAccess access, GatewayLimits limits,
                       BodyMemory bodyMemory) {
        this.role = role;
        this.callers = access.callers();
        this.authenticates = access.authenticates();
        this.calls = CallDecorator.around(backend, access.decorators());
        this.adminRoutes = new AdminRoutes(role, backend);
        this.limits = limits;
        this.budget = new CallBudget(limits.maxCalls());
        this.bodyMemory = bodyMemory;
        this.connections = new ConnectionLimit(limits.maxConnections(), "gateway connections (--max-connections)",
                ctx -> LingeringClose.after(ctx.writeAndFlush(Unpooled.wrappedBuffer(FULL))));
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        RequestTimeouts timeouts = new RequestTimeouts(limits.headerTimeout(), limits.idleTimeout());
        HttpDecoderConfig decoding = new HttpDecoderConfig()
                .setMaxInitialLineLength(GatewayLimits.MAX_REQUEST_LINE)
                .setMaxHeaderSize(limits.maxHeaderBytes())
                // Body pieces as large as a socket read (Netty's default splits them at 8 KiB).
                .setMaxChunkSize(EventLoops.MAX_READ);
        channel.pipeline()
                .addLast("limit", connections)
                .addLast("timeouts", timeouts)
                .addLast("encoder", new HttpResponseEncoder())
                // Strict: a bare line feed could let a proxy in front and this gateway read a request two ways.
                // (Netty itself refuses Content-Length with Transfer-Encoding, and differing lengths.)
                .addLast("decoder", new HttpRequestDecoder(decoding.setStrictLineParsing(true)))
                .addLast("gateway", new GatewayHandler(role, callers, authenticates, calls, adminRoutes, limits.maxBodyBytes(), budget,
                        bodyMemory, timeouts));
    }
}
