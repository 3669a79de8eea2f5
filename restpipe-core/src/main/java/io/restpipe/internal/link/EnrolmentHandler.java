package io.restpipe.internal.link;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.restpipe.internal.util.CloseReason;
import io.restpipe.internal.util.RepeatedLog;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameType;
import io.restpipe.internal.wire.proto.CertificateRequest;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Serves a connection that came without a client certificate to a server that issues them: its one use is one
 * enrolment, a {@code CertificateRequest} with a token, answered, then closed. Anything else closes it. Event loop
 * only.
 */
final class EnrolmentHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(EnrolmentHandler.class);
    private static final RepeatedLog refusals = new RepeatedLog(log, Level.WARN, Duration.ofSeconds(10));

    private final CertificateDesk desk;
    private boolean asked;

    EnrolmentHandler(CertificateDesk desk) {
        this.desk = desk;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        boolean enrolment = !asked && msg instanceof Frame frame && frame.type() == FrameType.CERTIFICATE_REQUEST
                && frame.as(CertificateRequest.class).hasToken();
        if (!enrolment) {
            ReferenceCountUtil.release(msg);
            CloseReason.close(ctx.channel(), "a connection without a client certificate may only enrol");
            return;
        }
        asked = true;
        Frame frame = (Frame) msg;
        CertificateRequest request = frame.as(CertificateRequest.class);
        CertificateFrames.replyTo(() -> desk.enrol(request.getToken(), request.getCsr().toByteArray()))
                .thenAccept(reply -> ctx.executor().execute(() -> {
                    if (reply.hasError()) {
                        refusals.log("enrol " + reply.getError(), "refused an enrolment from "
                                + ctx.channel().remoteAddress() + ": " + reply.getError());
                    }
                    ctx.writeAndFlush(Frame.of(frame.id(), reply)).addListener(ChannelFutureListener.CLOSE);
                }));
    }
}
