package io.restpipe.internal.forward;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.restpipe.FatalErrors;
import io.restpipe.HeaderField;
import io.restpipe.PipeEvent;
import io.restpipe.PipeReply;
import io.restpipe.internal.call.BodyConsumer;
import io.restpipe.internal.call.BodyPieces;
import io.restpipe.internal.call.InboundBody;
import io.restpipe.internal.call.IncomingEvent;
import io.restpipe.internal.call.OutboundBody;
import io.restpipe.internal.call.Replier;
import io.restpipe.internal.dispatch.Replies;
import io.restpipe.internal.gateway.HopByHop;
import io.restpipe.internal.util.Failures;
import io.restpipe.internal.util.RepeatedLog;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * One event replayed to the upstream on one pooled connection: sends the request (streaming its body as the
 * upstream takes it), and relays the response back through the pipe (streaming it under the pipe's credit).
 * Everything after {@link #start} runs on the upstream connection's event loop.
 */
final class UpstreamExchange extends ChannelInboundHandlerAdapter {
    private static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    private static final Logger log = LoggerFactory.getLogger(UpstreamExchange.class);
    private static final RepeatedLog failures = new RepeatedLog(log, Level.WARN, Duration.ofSeconds(10));
    /**
     * Responses up to this size that arrive in one read are sent inline, saving the pipe a streamed body; one
     * still incomplete when the read ends streams, so a slow upstream's first bytes are not held back.
     */
    private static final int INLINE_MAX = 64 * 1024;
    /** The deadline of a call from a peer that gave none (v1). */
    private static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(60);

    private final HttpForwarder forwarder;
    private final IncomingEvent incoming;
    private final String uri;
    private final Replier replier;
    private final CompletableFuture<Void> done;
    private Channel channel;
    private ScheduledFuture<?> deadlineTimer;
    private PipeReply head;
    private HttpResponse responseHead;
    private CompositeByteBuf gathered;
    private OutboundBody replyBody;
    private boolean requestSent;
    private boolean keepAlive;
    private boolean finished;

    /** @param uri the request target, already checked */
    UpstreamExchange(HttpForwarder forwarder, IncomingEvent incoming, String uri, Replier replier,
                     CompletableFuture<Void> done) {
        this.forwarder = forwarder;
        this.incoming = incoming;
        this.uri = uri;
        this.replier = replier;
        this.done = done;
    }

    /** The pool could not connect: the upstream is down or refuses. */
    void unreachable(Throwable cause) {
        String why = "cannot reach upstream " + forwarder.upstream() + ": " + Failures.describe(cause);
        failures.log("unreachable " + why, "forward of " + incoming.event().verb() + " " + incoming.event().noun()
                + " failed: " + why);
        discardRequestBody();
        replier.reply(Replies.upstreamFailed(502, why));
        done.complete(null);
    }

    /** No pooled connection freed up in time: refused without reaching the upstream. */
    void refused(String why) {
        failures.log("busy " + forwarder.upstream(), "forward of " + incoming.event().verb() + " "
                + incoming.event().noun() + " refused: " + why);
        discardRequestBody();
        replier.reply(PipeReply.refused(why));
        done.complete(null);
    }

    /** Sends the request on {@code acquired}. */
    void start(Channel acquired) {
        channel = acquired;
        runOnChannelLoop(() -> {
            if (done.isDone()) {
                finished = true;
                discardRequestBody();
                forwarder.release(channel);
                return;
            }
            channel.config().setAutoRead(true);
            channel.pipeline().addLast(HttpForwarder.POOL_HANDLER, this);
            Duration left = incoming.deadline() == null ? DEFAULT_DEADLINE
                    : Duration.between(Instant.now(), incoming.deadline());
            deadlineTimer = channel.eventLoop().schedule(() -> tooSlow(left), Math.max(0, left.toNanos()),
                    TimeUnit.NANOSECONDS);
            try {
                sendRequest();
            } catch (IllegalArgumentException bad) {
                // A verb or header no HTTP request may carry (a peer's event need not come from a gateway).
                replier.reply(PipeReply.error(PipeReply.CODE_UPSTREAM_FAILED, 400,
                        "the forward cannot send this request: " + bad.getMessage()));
                abandon("request refused: " + bad.getMessage());
            }
        });
    }

    /** Runs {@code task} on the upstream connection's loop: at once when already there (the usual case). */
    private void runOnChannelLoop(Runnable task) {
        if (channel.eventLoop().inEventLoop()) {
            task.run();
        } else {
            channel.eventLoop().execute(task);
        }
    }

    private void sendRequest() {
        PipeEvent event = incoming.event();
        HttpMethod method = HttpMethod.valueOf(event.verb());
        InboundBody stream = event.stream() == null ? null : InboundBody.of(event.stream());
        HttpRequest request;
        if (stream == null) {
            request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri,
                    Unpooled.wrappedBuffer(event.body()));
            HttpUtil.setContentLength(request, event.body().length);
        } else {
            request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
            if (stream.contentLength() >= 0) {
                HttpUtil.setContentLength(request, stream.contentLength());
            } else {
                HttpUtil.setTransferEncodingChunked(request, true);
            }
        }
        HttpHeaders headers = request.headers();
        for (HeaderField header : event.headers()) {
            if (!HopByHop.isHopByHop(header.name())) {
                headers.add(header.name(), header.value());
            }
        }
        headers.set(HttpHeaderNames.HOST, forwarder.hostHeader());
        if (event.requestId() != null) {
            // The upstream can tell a re-sent call from a new one by it, as the caller's own key (SPEC §10).
            headers.set(IDEMPOTENCY_KEY, event.requestId());
        }
        if (event.contentType() != null) {
            headers.set(HttpHeaderNames.CONTENT_TYPE, event.contentType());
        }
        if (stream == null) {
            requestSent = true;
            channel.writeAndFlush(request);
            return;
        }
        channel.writeAndFlush(request);
        stream.subscribe(new BodyConsumer() {
            @Override
            public void onData(ByteBuf data) {
                int bytes = data.readableBytes();
                ByteBuf piece = BodyPieces.forWriting(data, channel.bytesBeforeWritable());
                channel.writeAndFlush(new DefaultHttpContent(piece)).addListener(written -> {
                    if (written.isSuccess()) {
                        stream.consumed(bytes);
                    }
                });
            }

            @Override
            public void onEnd() {
                channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
                        .addListener(written -> requestSent = written.isSuccess());
            }

            @Override
            public void onAbort(String reason) {
                channel.eventLoop().execute(() -> abandon("request body cut off: " + reason));
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (finished) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (response.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL) {
                // An interim answer (100 Continue and the like): the real one follows.
                ReferenceCountUtil.release(msg);
                return;
            }
            responseArrived(response);
        }
        if (msg instanceof HttpContent content) {
            contentArrived(content);
        }
    }

    private void responseArrived(HttpResponse response) {
        deadlineTimer.cancel(false);
        responseHead = response;
        keepAlive = HttpUtil.isKeepAlive(response);
        List<HeaderField> headers = new ArrayList<>();
        String contentType = null;
        for (Map.Entry<String, String> header : response.headers()) {
            String name = header.getKey();
            if (name.equalsIgnoreCase("content-type")) {
                contentType = header.getValue();
            } else if (!HopByHop.isHopByHop(name)) {
                headers.add(new HeaderField(header.getKey(), header.getValue()));
            }
        }
        head = new PipeReply(PipeReply.CODE_OK, response.status().code(), contentType, headers, null);
        long length = HttpUtil.getContentLength(response, -1L);
        if (length >= 0 && length <= INLINE_MAX) {
            gathered = channel.alloc().compositeBuffer();
        } else {
            replyBody = replier.replyStreamed(head, length);
            abandonIfRefused();
        }
    }

    /** The pipe refused the streamed reply (no body memory, a v1 peer's limit): stop reading the upstream for it. */
    private void abandonIfRefused() {
        if (replyBody.abortReason() != null) {
            abandon("the reply could not be streamed: " + replyBody.abortReason());
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!finished && gathered != null) {
            replyBody = replier.replyStreamed(head, HttpUtil.getContentLength(responseHead, -1L));
            CompositeByteBuf sofar = gathered;
            gathered = null;
            if (sofar.isReadable()) {
                replyBody.write(sofar);
            } else {
                sofar.release();
            }
            abandonIfRefused();
        }
        ctx.fireChannelReadComplete();
    }

    private void contentArrived(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (gathered != null) {
            gathered.addComponent(true, content.content().retain());
            content.release();
        } else if (replyBody != null) {
            boolean more = replyBody.write(content.content().retain());
            content.release();
            if (!more && !last) {
                // The caller is slower than the upstream: stop reading until the pipe grants more credit.
                channel.config().setAutoRead(false);
                replyBody.whenCredit(() -> channel.eventLoop().execute(() -> {
                    if (!finished) {
                        channel.config().setAutoRead(true);
                        channel.read();
                    }
                }));
            }
        } else {
            content.release();
        }
        if (last) {
            responseComplete();
        }
    }

    private void responseComplete() {
        if (gathered != null) {
            byte[] body = ByteBufUtil.getBytes(gathered);
            gathered.release();
            gathered = null;
            replier.reply(new PipeReply(head.code(), head.status(), head.contentType(), head.headers(), body));
        } else {
            replyBody.end();
        }
        finished = true;
        channel.pipeline().remove(this);
        channel.config().setAutoRead(true);
        if (keepAlive && requestSent) {
            forwarder.release(channel);
        } else {
            forwarder.discard(channel);
        }
        done.complete(null);
    }

    private void tooSlow(Duration waited) {
        if (finished || head != null) {
            return;
        }
        String why = "upstream " + forwarder.upstream() + " did not answer within " + waited.toMillis() + " ms";
        failures.log("slow " + forwarder.upstream(), "forward of " + incoming.event().verb() + " "
                + incoming.event().noun() + ": " + why);
        replier.reply(Replies.upstreamFailed(504, why));
        abandon(why);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!finished) {
            String why = "upstream " + forwarder.upstream() + " closed the connection"
                    + (head == null ? " before answering" : " in the middle of the response");
            if (head == null) {
                replier.reply(Replies.upstreamFailed(502, why));
            }
            abandon(why);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        FatalErrors.check(cause);
        log.debug("upstream connection failed: {}", cause.toString());
        ctx.close();
    }

    /** The caller gave up: drop the upstream connection, so the upstream sees it closed. */
    void cancel() {
        if (channel != null) {
            channel.eventLoop().execute(() -> abandon("caller cancelled"));
        }
    }

    /** Ends the exchange unfinished: the connection is closed, not reused, and what streams is stopped. */
    private void abandon(String reason) {
        if (finished) {
            return;
        }
        finished = true;
        if (deadlineTimer != null) {
            deadlineTimer.cancel(false);
        }
        if (gathered != null) {
            gathered.release();
            gathered = null;
        }
        if (replyBody != null) {
            replyBody.fail(reason);
        }
        discardRequestBody();
        forwarder.discard(channel);
        done.complete(null);
    }

    private void discardRequestBody() {
        if (incoming.event().stream() != null) {
            InboundBody.of(incoming.event().stream()).discard();
        }
    }
}
