package io.restpipe.gateway;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.restpipe.pipe.EventLoops;

/** Builds a gateway connection's pipeline: the HTTP/1.1 codec, then the gateway. */
final class GatewayInitializer extends ChannelInitializer<SocketChannel> {
    private final GatewayRole role;
    private final GatewayBackend backend;
    private final long maxBodyBytes;
    private final CallBudget budget;

    GatewayInitializer(GatewayRole role, GatewayBackend backend, long maxBodyBytes, int maxCalls) {
        this.role = role;
        this.backend = backend;
        this.maxBodyBytes = maxBodyBytes;
        this.budget = new CallBudget(maxCalls);
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        channel.pipeline()
                // Body pieces as large as a socket read (Netty's default splits them at 8 KiB).
                .addLast("http", new HttpServerCodec(new HttpDecoderConfig().setMaxChunkSize(EventLoops.MAX_READ)))
                // Answers "Expect: 100-continue" here, so callers such as curl -T do not stall waiting for it.
                .addLast("continue", new HttpServerExpectContinueHandler())
                .addLast("gateway", new GatewayHandler(role, backend, maxBodyBytes, budget));
    }
}
