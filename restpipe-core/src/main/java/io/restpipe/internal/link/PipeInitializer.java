package io.restpipe.internal.link;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.restpipe.PipeSettings;
import io.restpipe.internal.metrics.PipeMetrics;
import io.restpipe.internal.tls.TlsMaterial;
import io.restpipe.internal.util.ConnectionLimit;
import io.restpipe.internal.util.RandomIds;
import io.restpipe.internal.wire.BodyChunkEncoder;
import io.restpipe.internal.wire.FrameDecoder;
import io.restpipe.internal.wire.FrameEncoder;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Builds a pipe's channel pipeline: TLS first, then framing, heartbeats, and finally the link, which
 * {@link PipeHandshakeHandler} puts in place once the peer's certificate is known.
 */
public final class PipeInitializer extends ChannelInitializer<Channel> {
    private static final FrameEncoder ENCODER = new FrameEncoder();
    private static final BodyChunkEncoder CHUNK_ENCODER = new BodyChunkEncoder();

    private final boolean clientSide;
    private final TlsMaterial tls;
    private final InetSocketAddress serverAddress;
    private final PipeSettings settings;
    private final PipeMetrics metrics;
    private final ByteCountingHandler byteCounter;
    private final Consumer<PipeLink> onLink;
    private final ConnectionLimit limiter;
    private final HandshakeGate gate;
    private final CertificateDesk desk;
    private final String instanceId;

    /**
     * @param serverAddress the host and port the client dialed, whose host the server certificate must name;
     *                      {@code null} on the server
     * @param onLink        told of each link once its peer is authenticated, on its event loop, and must attach the
     *                      peer's call state to it before returning
     */
    public PipeInitializer(boolean clientSide, TlsMaterial tls, InetSocketAddress serverAddress,
                    PipeSettings settings, PipeMetrics metrics, Consumer<PipeLink> onLink) {
        this(clientSide, tls, serverAddress, settings, metrics, onLink, null, RandomIds.next());
    }

    /**
     * @param desk       on a server that issues certificates, where clients enrol and renew theirs; else null
     * @param instanceId this side's instance (new each time its server or client starts), told in every hello
     */
    public PipeInitializer(boolean clientSide, TlsMaterial tls, InetSocketAddress serverAddress, PipeSettings settings,
                           PipeMetrics metrics, Consumer<PipeLink> onLink, CertificateDesk desk, String instanceId) {
        this.desk = desk;
        this.instanceId = instanceId;
        this.clientSide = clientSide;
        this.tls = tls;
        this.serverAddress = serverAddress;
        this.settings = settings;
        this.metrics = metrics;
        this.byteCounter = new ByteCountingHandler(metrics);
        this.onLink = onLink;
        this.limiter = clientSide ? null : new ConnectionLimit(settings.maxPipes(), "pipes (--max-pipes)", null);
        this.gate = clientSide ? null : new HandshakeGate(HandshakeGate.DEFAULT_MAX_IN_PROGRESS);
    }

    @Override
    protected void initChannel(Channel channel) {
        if (clientSide) {
            // A client's attempts are often refused (a server restarting): no TLS engine until one connects.
            channel.pipeline().addLast("connecting", new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    ctx.pipeline().remove(this);
                    addPipeHandlers(ctx.channel());
                    ctx.pipeline().fireChannelActive();
                }
            });
        } else {
            addPipeHandlers(channel);
        }
    }

    private void addPipeHandlers(Channel channel) {
        ChannelPipeline pipeline = channel.pipeline();
        SslContext sslContext = tls.current();
        SslHandler ssl = clientSide
                ? sslContext.newHandler(channel.alloc(), serverAddress.getHostString(), serverAddress.getPort())
                : sslContext.newHandler(channel.alloc());
        ssl.setHandshakeTimeout(settings.heartbeatTimeout().toMillis(), TimeUnit.MILLISECONDS);
        if (limiter != null) {
            pipeline.addLast("limit", limiter);
        }
        // Many frames flushed within one turn of the event loop (a streamed body read from a fast socket)
        // leave in one system call.
        pipeline.addLast("flushes", new FlushConsolidationHandler(
                FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        pipeline.addLast("bytes", byteCounter);
        pipeline.addLast("tls", ssl);
        if (gate != null) {
            pipeline.addLast("gate", gate);
        }
        if (!clientSide) {
            long silentMillis = 2 * settings.heartbeatInterval().toMillis();
            pipeline.addLast("idle", new IdleStateHandler(silentMillis, 0, 0, TimeUnit.MILLISECONDS));
        }
        pipeline.addLast("frameDecoder", new FrameDecoder(settings.maxFramePayload()));
        pipeline.addLast("frameEncoder", ENCODER);
        pipeline.addLast("chunkEncoder", CHUNK_ENCODER);
        // Closes a peer that reads none of its replies after one heartbeat interval, before the server's check for
        // silent peers (twice the interval) would blame the silence this side caused by not reading.
        pipeline.addLast("replyBacklog", new ReplyBacklog(settings.maxQueuedBytes(), settings.heartbeatInterval()));
        // Before the heartbeats, so that the server's first frame (even a heartbeat reply) reaches it.
        pipeline.addLast("handshake", new PipeHandshakeHandler(clientSide, onLink, desk, instanceId));
        pipeline.addLast("heartbeat", new HeartbeatHandler(clientSide, settings.heartbeatInterval(),
                settings.heartbeatTimeout(), metrics));
    }
}
