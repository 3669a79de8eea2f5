package io.restpipe.internal.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import io.restpipe.FatalErrors;
import io.restpipe.HeaderField;
import io.restpipe.PipeEvent;
import io.restpipe.PipeReply;
import io.restpipe.internal.call.BodyConsumer;
import io.restpipe.internal.call.BodyMemory;
import io.restpipe.internal.call.BodyPieces;
import io.restpipe.internal.call.InboundBody;
import io.restpipe.internal.call.OutboundBody;
import io.restpipe.internal.call.PipeCall;
import io.restpipe.internal.call.RequestIds;
import io.restpipe.internal.util.Durations;
import io.restpipe.internal.util.RepeatedLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Serves one gateway connection, one request at a time (pipelined requests wait their turn): small bodies are
 * gathered and sent inline, larger ones stream into the pipe as its credit allows, and a streamed reply is
 * written to the caller as it arrives, returning credit as the socket takes it. A caller that hangs up cancels
 * its call. The socket is read only on demand, one decoded message at a time. Event loop only.
 */
final class GatewayHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(GatewayHandler.class);
    static final String TIMEOUT_HEADER = "X-Event-Timeout";
    /** The caller's request id (SPEC §10); one is made for a call without it. */
    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    /** Bodies up to this size are gathered and sent inline in the event, the v1-compatible path. */
    static final int INLINE_BODY_MAX = 64 * 1024;

    private static final RepeatedLog failures = new RepeatedLog(log, Level.INFO, Duration.ofSeconds(10));

    private final GatewayRole role;
    private final CallerCheck callers;
    /** Whether callers must show a token; the Authorization header is then the gateway's and never travels on. */
    private final boolean authenticates;
    private final CallDecorator.CallStarter calls;
    private final AdminRoutes adminRoutes;
    private final long maxBodyBytes;
    private final CallBudget budget;
    private final BodyMemory bodyMemory;
    private final RequestTimeouts timeouts;
    private Exchange exchange;
    /** Decoded messages not yet taken: one socket read may decode more than the gateway wants at once. */
    private final java.util.ArrayDeque<Object> inbox = new java.util.ArrayDeque<>();
    private boolean wantMessage;
    /** The next request waits until the caller has read the responses queued for it. */
    private boolean awaitingWritable;
    private ChannelHandlerContext context;

    /**
     * @param callers      who may call (401 otherwise), except {@code /healthz}, which load balancers probe
     * @param calls        starts a call in the pipe (through the call decorators)
     * @param adminRoutes  answers the requests that are not calls
     * @param maxBodyBytes request bodies over this many bytes get 413; 0 = no limit
     * @param budget       the gateway-wide cap on calls in flight; a call past it gets 503
     * @param bodyMemory   this side's budget for bodies, which small bodies being gathered also draw on
     * @param timeouts     the connection's clocks between requests, told when a request starts and ends
     */
    GatewayHandler(GatewayRole role, CallerCheck callers, boolean authenticates, CallDecorator.CallStarter calls,
                   AdminRoutes adminRoutes, long maxBodyBytes, CallBudget budget, BodyMemory bodyMemory,
                   RequestTimeouts timeouts) {
        this.role = role;
        this.callers = callers;
        this.authenticates = authenticates;
        this.calls = calls;
        this.adminRoutes = adminRoutes;
        this.maxBodyBytes = maxBodyBytes;
        this.budget = budget;
        this.bodyMemory = bodyMemory;
        this.timeouts = timeouts;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        context = ctx;
        requestMore();
        ctx.fireChannelActive();
    }

    /** Asks for the next decoded message: one already waiting, else a read from the socket. */
    private void requestMore() {
        wantMessage = true;
        if (inbox.isEmpty()) {
            context.read();
        } else {
            // Not inline: the caller may be in the middle of handling the previous message.
            context.executor().execute(this::drainInbox);
        }
    }

    private void drainInbox() {
        while (wantMessage && !inbox.isEmpty()) {
            wantMessage = false;
            take(context, inbox.poll());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        inbox.add(msg);
        drainInbox();
    }

    private void take(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            requestStarted(ctx, request);
        }
        if (msg instanceof HttpContent content) {
            bodyArrived(ctx, content);
        } else if (!(msg instanceof HttpRequest)) {
            ReferenceCountUtil.release(msg);
        }
    }

    private void requestStarted(ChannelHandlerContext ctx, HttpRequest request) {
        timeouts.requestArrived();
        Exchange ex = new Exchange(ctx, HttpUtil.isKeepAlive(request), request.method().equals(HttpMethod.HEAD));
        exchange = ex;
        if (request.decoderResult().isFailure()) {
            // The decoder reads nothing more after a broken head: answer now and close.
            ex.requestComplete = true;
            ex.keepAlive = false;
            ex.respond(rejected(ctx, HttpResponses.malformed(request.decoderResult().cause())));
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        String path = uri.rawPath();
        boolean isCall = path.startsWith(role.callPrefix());
        long declaredLength = HttpUtil.getContentLength(request, -1L);
        boolean expectsContinue = HttpUtil.is100ContinueExpected(request);
        String caller = AdminRoutes.HEALTH.equals(path) ? ""
                : callers.identify(request.headers().get(HttpHeaderNames.AUTHORIZATION));
        if (caller == null) {
            FullHttpResponse unauthorized = rejected(ctx, HttpResponses.error(HttpResponseStatus.UNAUTHORIZED,
                    request.headers().contains(HttpHeaderNames.AUTHORIZATION)
                            ? "the bearer token is not one this gateway knows (its --gateway-auth file)"
                            : "this gateway takes calls only with Authorization: Bearer TOKEN (--gateway-auth)"));
            unauthorized.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"restpipe\"");
            if (declaredLength > 0 || HttpUtil.isTransferEncodingChunked(request)) {
                // A stranger's body is not read: refused at once, and the connection closes.
                ex.keepAlive = false;
                ex.respond(unauthorized);
            } else {
                ex.respondWhenBodyRead(unauthorized);
            }
            return;
        }
        if (isCall && maxBodyBytes > 0 && declaredLength > maxBodyBytes) {
            ex.keepAlive = false;
            if (expectsContinue) {
                // The caller waits for a go-ahead it will not get: refused before it sends its body.
                ex.respond(tooLarge());
            } else {
                ex.respondWhenBodyRead(tooLarge());
            }
            return;
        }
        if (expectsContinue) {
            // Only now, when this request's turn has come: a go-ahead sent as the request is decoded would land in
            // the middle of the response to the request pipelined before it.
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
        }
        if (!isCall) {
            ex.respondWhenBodyRead(adminRoutes.answer(request, path));
            return;
        }
        PipeEvent event;
        try {
            CallRoute route = CallRoute.parse(path.substring(role.callPrefix().length()), role == GatewayRole.SERVER);
            event = toEvent(request, route, uri.rawQuery(), authenticates);
            ex.target = route.target();
            ex.caller = caller;
        } catch (IllegalArgumentException badRequest) {
            ex.respondWhenBodyRead(HttpResponses.error(HttpResponseStatus.BAD_REQUEST, badRequest.getMessage()));
            return;
        }
        if (!budget.tryAcquire()) {
            ex.respondWhenBodyRead(HttpResponses.error(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "too many calls in flight on this gateway (limit " + budget.max() + ", --max-calls)"));
            return;
        }
        ex.holdsBudget = true;
        ex.event = event;
        ex.description = request.method() + " " + request.uri();
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        if (chunked || declaredLength > INLINE_BODY_MAX) {
            ex.startStreaming(declaredLength);
        } else {
            ex.gathered = ctx.alloc().compositeBuffer();
            requestMore();
        }
    }

    private void bodyArrived(ChannelHandlerContext ctx, HttpContent content) {
        Exchange ex = exchange;
        if (ex == null) {
            content.release();
            requestMore();
            return;
        }
        if (content.decoderResult().isFailure()) {
            Throwable cause = content.decoderResult().cause();
            content.release();
            ex.malformedBody(cause);
            return;
        }
        ex.bodyArrived(content);
    }

    /** Logs (once per interval and kind) that a caller's request was refused for breaking a rule or a limit. */
    private static FullHttpResponse rejected(ChannelHandlerContext ctx, FullHttpResponse response) {
        String error = response.content().toString(java.nio.charset.StandardCharsets.UTF_8);
        failures.log("rejected " + response.status().code(), "refused a request from " + ctx.channel().remoteAddress()
                + " with " + response.status().code() + ": " + error);
        return response;
    }

    /** @param dropAuthorization true when the caller's token is the gateway's, not for the other side */
    private static PipeEvent toEvent(HttpRequest request, CallRoute route, String query, boolean dropAuthorization) {
        List<HeaderField> headers = new ArrayList<>();
        Duration timeout = null;
        String contentType = null;
        String requestId = null;
        for (Map.Entry<String, String> header : request.headers()) {
            String name = header.getKey();
            if (name.equalsIgnoreCase(TIMEOUT_HEADER)) {
                timeout = Durations.parse(header.getValue());
            } else if (name.equalsIgnoreCase(IDEMPOTENCY_KEY)) {
                // The call's request id, not a header: a forward hands it on as its own Idempotency-Key.
                requestId = RequestIds.fromCaller(header.getValue());
            } else if (name.equalsIgnoreCase(HttpHeaderNames.CONTENT_TYPE.toString())) {
                contentType = header.getValue();
            } else if (!HopByHop.isHopByHop(name)
                    && !(dropAuthorization && name.equalsIgnoreCase(HttpHeaderNames.AUTHORIZATION.toString()))) {
                headers.add(new HeaderField(name, header.getValue()));
            }
        }
        return new PipeEvent(request.method().name(), route.noun(), route.arguments(), query, headers,
                contentType, null, timeout, null, route.nounPath(), requestId != null ? requestId : RequestIds.next());
    }

    private FullHttpResponse tooLarge() {
        return HttpResponses.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "request body is over the limit of " + maxBodyBytes + " bytes");
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (awaitingWritable && ctx.channel().isWritable()) {
            awaitingWritable = false;
            requestMore();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == RequestTimeouts.TimedOut.INSTANCE && exchange != null) {
            // Refused with 408: its call is cancelled and its slot free before the caller reads the answer.
            exchange.callerGone();
            exchange = null;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inbox.forEach(ReferenceCountUtil::release);
        inbox.clear();
        if (exchange != null) {
            exchange.callerGone();
            exchange = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        FatalErrors.check(cause);
        log.debug("gateway connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        boolean responding = exchange != null && exchange.responseStarted;
        if (cause instanceof DecoderException && !responding && ctx.channel().isActive()) {
            // What the HTTP decoder could not even turn into a failed request (a stray CR in the request line).
            FullHttpResponse response = rejected(ctx, HttpResponses.malformed(
                    cause.getCause() != null ? cause.getCause() : cause));
            HttpUtil.setContentLength(response, response.content().readableBytes());
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            if (exchange != null) {
                exchange.responseStarted = true;
            }
            LingeringClose.after(ctx.writeAndFlush(response));
            return;
        }
        ctx.close();
    }

    /** One request and its response. Event loop only. */
    private final class Exchange {
        final ChannelHandlerContext ctx;
        boolean keepAlive;
        final boolean head;
        String caller;
        String target;
        PipeEvent event;
        String description;
        /** A small body being gathered to go inline; null once sent or when the body streams. */
        CompositeByteBuf gathered;
        /** Bytes of {@link #gathered} taken from the body memory budget. */
        long gatheredReserved;
        /** The answer to send once the request body has been read (and discarded). */
        FullHttpResponse pendingLocal;
        CompletableFuture<PipeCall> starting;
        PipeCall call;
        InboundBody replyStream;
        long bodyBytes;
        boolean holdsBudget;
        boolean requestComplete;
        boolean responseStarted;
        boolean finished;

        Exchange(ChannelHandlerContext ctx, boolean keepAlive, boolean head) {
            this.ctx = ctx;
            this.keepAlive = keepAlive;
            this.head = head;
        }

        void respondWhenBodyRead(FullHttpResponse response) {
            pendingLocal = response;
            requestMore();
        }

        void bodyArrived(HttpContent content) {
            boolean last = content instanceof LastHttpContent;
            bodyBytes += content.content().readableBytes();
            if (pendingLocal != null || finished) {
                content.release();
                if (last) {
                    requestComplete = true;
                    if (pendingLocal != null) {
                        FullHttpResponse response = pendingLocal;
                        pendingLocal = null;
                        respond(response);
                    } else {
                        endExchange();
                    }
                } else {
                    requestMore();
                }
                return;
            }
            if (maxBodyBytes > 0 && bodyBytes > maxBodyBytes) {
                content.release();
                overLimit();
                return;
            }
            if (gathered != null) {
                int size = content.content().readableBytes();
                if (!bodyMemory.tryReserve(size)) {
                    content.release();
                    keepAlive = false;
                    respond(rejected(ctx, HttpResponses.error(HttpResponseStatus.SERVICE_UNAVAILABLE,
                            bodyMemory.exhausted())));
                    return;
                }
                gatheredReserved += size;
                gathered.addComponent(true, content.content().retain());
                content.release();
                if (last) {
                    requestComplete = true;
                    byte[] body = ByteBufUtil.getBytes(gathered);
                    releaseGathered();
                    startCall(event.withBody(body), false, -1);
                } else {
                    requestMore();
                }
                return;
            }
            // Streaming: the call is under way (nothing is read before it is).
            OutboundBody requestBody = call.requestBody();
            boolean more = requestBody.write(content.content().retain());
            content.release();
            if (last) {
                requestComplete = true;
                requestBody.end();
            } else if (more) {
                requestMore();
            } else {
                requestBody.whenCredit(() -> ctx.executor().execute(() -> {
                    if (!finished) {
                        requestMore();
                    }
                }));
            }
        }

        /** The body broke off in a way the decoder could not read (a bad chunk): 400 if still possible, and close. */
        void malformedBody(Throwable cause) {
            keepAlive = false;
            requestComplete = true;
            if (call != null && call.requestBody() != null) {
                call.requestBody().fail("the request body was malformed");
                call.reply().cancel(true);
            } else if (starting != null) {
                starting.cancel(true);
            }
            if (!responseStarted && !finished) {
                respond(rejected(ctx, HttpResponses.malformed(cause)));
            } else {
                finish();
            }
        }

        private void releaseGathered() {
            if (gathered != null) {
                gathered.release();
                gathered = null;
            }
            bodyMemory.release(gatheredReserved);
            gatheredReserved = 0;
        }

        void startStreaming(long contentLength) {
            startCall(event, true, contentLength);
        }

        private void startCall(PipeEvent toSend, boolean streamBody, long contentLength) {
            timeouts.callStarted();
            starting = calls.start(new GatewayCall(caller, target, toSend, streamBody, contentLength));
            starting.whenComplete((started, failure) -> ctx.executor().execute(() -> {
                if (finished) {
                    if (started != null) {
                        started.reply().cancel(true);
                    }
                    return;
                }
                if (failure != null) {
                    fail(failure);
                    return;
                }
                call = started;
                call.reply().whenComplete((reply, error) -> ctx.executor().execute(() -> replied(reply, error)));
                if (streamBody && !call.reply().isDone()) {
                    requestMore();
                }
            }));
        }

        private void replied(PipeReply reply, Throwable error) {
            if (finished) {
                if (reply != null && reply.stream() != null) {
                    InboundBody.of(reply.stream()).discard();
                }
                return;
            }
            if (error != null) {
                fail(error);
                return;
            }
            if (reply.stream() == null) {
                respond(HttpResponses.fromReply(reply));
                return;
            }
            replyStream = InboundBody.of(reply.stream());
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(reply.status()));
            HttpResponses.copyReplyHeaders(reply, response.headers());
            if (replyStream.contentLength() >= 0) {
                HttpUtil.setContentLength(response, replyStream.contentLength());
            } else if (head) {
                // Nothing follows a HEAD response, not even a chunked body's end: its length is unknown, so close.
                keepAlive = false;
            } else {
                HttpUtil.setTransferEncodingChunked(response, true);
            }
            if (!requestComplete) {
                keepAlive = false;
            }
            response.headers().set(HttpHeaderNames.CONNECTION,
                    keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
            responseStarted = true;
            ctx.writeAndFlush(response);
            if (head) {
                replyStream.discard();
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                endExchange();
                return;
            }
            replyStream.subscribe(new ReplyWriter(this));
        }

        private void fail(Throwable failure) {
            FullHttpResponse response = HttpResponses.fromFailure(failure);
            String error = response.content().toString(java.nio.charset.StandardCharsets.UTF_8);
            failures.log(response.status().code() + " " + target + " " + error, description + " failed: " + error);
            respond(response);
        }

        private void overLimit() {
            keepAlive = false;
            if (call != null) {
                call.requestBody().fail("request body over the gateway's limit");
                call.reply().cancel(true);
            } else if (starting != null) {
                starting.cancel(true);
            }
            if (!responseStarted) {
                respond(tooLarge());
            } else {
                finish();
            }
        }

        /** Writes a whole response; the exchange ends, and a request body not yet read means closing. */
        private void respond(FullHttpResponse response) {
            if (responseStarted) {
                response.release();
                finish();
                return;
            }
            responseStarted = true;
            if (!requestComplete) {
                keepAlive = false;
                if (call != null && call.requestBody() != null) {
                    call.requestBody().fail("the response was sent before the request body ended");
                }
            }
            HttpUtil.setContentLength(response, response.content().readableBytes());
            if (head) {
                response.content().clear();
            }
            response.headers().set(HttpHeaderNames.CONNECTION,
                    keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response);
            endExchange();
        }

        /** The response is complete: read the next request, or close. */
        void endExchange() {
            if (!markFinished()) {
                return;
            }
            if (exchange == this) {
                exchange = null;
            }
            if (keepAlive && requestComplete) {
                timeouts.awaitingNextRequest();
                if (ctx.channel().isWritable()) {
                    requestMore();
                } else {
                    // The caller is not reading its responses: take its next request once it has.
                    awaitingWritable = true;
                }
            } else {
                LingeringClose.after(ctx.writeAndFlush(Unpooled.EMPTY_BUFFER));
            }
        }

        /** Marks the exchange over and frees what it holds; false if it already was. */
        private boolean markFinished() {
            if (finished) {
                return false;
            }
            finished = true;
            if (holdsBudget) {
                holdsBudget = false;
                budget.release();
            }
            releaseGathered();
            if (pendingLocal != null) {
                pendingLocal.release();
                pendingLocal = null;
            }
            return true;
        }

        /** Ends the exchange without a proper response (the response was cut): close the connection. */
        void finish() {
            keepAlive = false;
            endExchange();
        }

        /** The caller hung up: cancel whatever is still going. */
        void callerGone() {
            if (!markFinished()) {
                return;
            }
            if (starting != null) {
                starting.cancel(true);
            }
            if (call != null) {
                if (call.requestBody() != null) {
                    call.requestBody().fail("caller hung up");
                }
                call.reply().cancel(true);
            }
            if (replyStream != null) {
                replyStream.discard();
            }
        }
    }

    /** Writes a streamed reply body to the caller, returning credit to the pipe as the socket takes each piece. */
    private static final class ReplyWriter implements BodyConsumer {
        private final Exchange exchange;

        ReplyWriter(Exchange exchange) {
            this.exchange = exchange;
        }

        @Override
        public void onData(ByteBuf data) {
            int bytes = data.readableBytes();
            InboundBody stream = exchange.replyStream;
            ByteBuf piece = BodyPieces.forWriting(data, exchange.ctx.channel().bytesBeforeWritable());
            exchange.ctx.writeAndFlush(new DefaultHttpContent(piece)).addListener(written -> {
                if (written.isSuccess()) {
                    stream.consumed(bytes);
                } else {
                    // The caller is gone: what is still on its way is not wanted (and gives its memory back).
                    stream.discard();
                }
            });
        }

        @Override
        public void onEnd() {
            // The exchange ends once the caller has taken the whole body: until then it holds the body's memory, and
            // the connection's idle clock must not run.
            exchange.ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(written -> {
                if (!written.isSuccess()) {
                    exchange.replyStream.discard();
                }
                exchange.endExchange();
            });
        }

        @Override
        public void onAbort(String reason) {
            exchange.ctx.executor().execute(() -> {
                log.info("{}: reply cut off: {}", exchange.description, reason);
                exchange.finish();
            });
        }
    }
}
