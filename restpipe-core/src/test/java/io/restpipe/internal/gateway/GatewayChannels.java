package io.restpipe.internal.gateway;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectDecoder;
import io.netty.handler.codec.http.HttpServerCodec;
import io.restpipe.GatewayLimits;
import io.restpipe.internal.call.BodyMemory;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;

/** The gateway's real pipeline on an {@link EmbeddedChannel}, for the tests that drive it with a fake backend. */
final class GatewayChannels {
    private GatewayChannels() {
    }

    /**
     * The gateway's pipeline as {@link GatewayInitializer} builds it, on an embedded channel that reads only on
     * demand (AUTO_READ off, as {@link HttpGateway} sets it). Left unregistered, so that probes can go in before
     * the gateway becomes active and asks for its first read. The one place to adapt when the initializer's
     * constructor changes.
     */
    static EmbeddedChannel gatewayChannel(GatewayRole role, GatewayLimits limits, GatewayBackend backend,
                                          ByteBufAllocator alloc) {
        EmbeddedChannel channel = EmbeddedChannel.builder().register(false).build();
        channel.config().setAllocator(alloc).setAutoRead(false);
        new GatewayInitializer(role, backend, limits, BodyMemory.unlimited()).initChannel(socketView(channel));
        return channel;
    }

    /**
     * The name of the pipeline's HTTP request decoder: a probe added after it sees each decoded request on its way
     * in, and each response (a {@code 100 Continue} too) before it is encoded.
     */
    static String httpDecoderName(ChannelPipeline pipeline) {
        for (Map.Entry<String, ChannelHandler> entry : pipeline) {
            if (entry.getValue() instanceof HttpServerCodec || entry.getValue() instanceof HttpObjectDecoder) {
                return entry.getKey();
            }
        }
        throw new IllegalStateException("no HTTP decoder in the gateway's pipeline: " + pipeline.names());
    }

    /**
     * The embedded channel seen as the {@link SocketChannel} that {@link GatewayInitializer#initChannel} takes:
     * it answers what a {@code Channel} answers, and nothing socket-specific.
     */
    private static SocketChannel socketView(EmbeddedChannel channel) {
        return (SocketChannel) Proxy.newProxyInstance(GatewayChannels.class.getClassLoader(),
                new Class<?>[] {SocketChannel.class}, (proxy, method, args) -> {
                    Method same = channelMethod(method);
                    if (same == null) {
                        throw new UnsupportedOperationException("the test's socket view has no "
                                + method.getName() + "(); adapt GatewayChannels.gatewayChannel()");
                    }
                    return same.invoke(channel, args);
                });
    }

    private static Method channelMethod(Method method) {
        try {
            Method same = EmbeddedChannel.class.getMethod(method.getName(), method.getParameterTypes());
            return method.getReturnType().isAssignableFrom(same.getReturnType()) ? same : null;
        } catch (NoSuchMethodException e) {
            return null;
        }
    }
}
