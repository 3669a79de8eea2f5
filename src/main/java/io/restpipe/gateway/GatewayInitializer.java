package io.restpipe.gateway;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;

/** Builds a gateway connection's pipeline: HTTP/1.1 codec, body aggregation with a size limit, the gateway. */
final class GatewayInitializer extends ChannelInitializer<SocketChannel> {
    private final GatewayRole role;
    private final GatewayBackend backend;
    private final int maxBodyBytes;

    GatewayInitializer(GatewayRole role, GatewayBackend backend, int maxBodyBytes) {
        this.role = role;
        this.backend = backend;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        channel.pipeline()
                .addLast("http", new HttpServerCodec())
                .addLast("aggregator", new BodyLimitAggregator(maxBodyBytes))
                .addLast("gateway", new GatewayHandler(role, backend));
    }
}
