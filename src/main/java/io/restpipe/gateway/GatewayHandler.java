package io.restpipe.gateway;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.restpipe.pipe.Durations;
import io.restpipe.pipe.HeaderField;
import io.restpipe.pipe.PipeEvent;
import io.restpipe.pipe.PipeReply;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one gateway connection: turns each request into a pipe call (or answers {@code /healthz},
 * {@code /metrics}, {@code /clients} itself) and writes the responses in request order, as HTTP/1.1 pipelining
 * requires. A caller that hangs up cancels its calls in flight. Event loop only.
 */
final class GatewayHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(GatewayHandler.class);
    static final String TIMEOUT_HEADER = "X-Event-Timeout";
    private static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

    private final GatewayRole role;
    private final GatewayBackend backend;
    /** Responses owed on this connection, oldest first; each completes when its call does. */
    private final ArrayDeque<PendingResponse> pending = new ArrayDeque<>();

    GatewayHandler(GatewayRole role, GatewayBackend backend) {
        this.role = role;
        this.backend = backend;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        PendingResponse slot = new PendingResponse(HttpUtil.isKeepAlive(request),
                request.method().equals(HttpMethod.HEAD));
        pending.add(slot);
        if (request.decoderResult().isFailure()) {
            slot.keepAlive = false;
            slot.complete(HttpResponses.error(HttpResponseStatus.BAD_REQUEST,
                    "malformed HTTP request: " + request.decoderResult().cause().getMessage()));
        } else {
            slot.call = route(request);
            slot.call.whenComplete((response, failure) -> ctx.executor().execute(() -> {
                slot.complete(failure == null ? response : HttpResponses.fromFailure(failure));
                flushReady(ctx);
            }));
        }
        flushReady(ctx);
    }

    private CompletableFuture<FullHttpResponse> route(FullHttpRequest request) {
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        String path = uri.rawPath();
        if (path.startsWith(role.callPrefix())) {
            return call(request, path.substring(role.callPrefix().length()), uri.rawQuery());
        }
        boolean readOnly = request.method().equals(HttpMethod.GET) || request.method().equals(HttpMethod.HEAD);
        if (readOnly && path.equals("/healthz")) {
            return CompletableFuture.completedFuture(health());
        }
        if (readOnly && path.equals("/metrics")) {
            return CompletableFuture.completedFuture(
                    HttpResponses.text(HttpResponseStatus.OK, PROMETHEUS, backend.scrapeMetrics()));
        }
        if (readOnly && path.equals("/clients") && role == GatewayRole.SERVER) {
            return CompletableFuture.completedFuture(HttpResponses.json(HttpResponseStatus.OK, backend.clients()));
        }
        String usage = role == GatewayRole.SERVER ? "/client/<target>/<noun>[//<arg>...]" : "/server/<noun>[//<arg>...]";
        return CompletableFuture.completedFuture(HttpResponses.error(HttpResponseStatus.NOT_FOUND,
                "no route for " + request.method() + " " + path + "; calls go to " + usage
                        + ", and /healthz, /metrics" + (role == GatewayRole.SERVER ? ", /clients" : "") + " exist"));
    }

    private CompletableFuture<FullHttpResponse> call(FullHttpRequest request, String rest, String query) {
        PipeEvent event;
        CallRoute route;
        try {
            route = CallRoute.parse(rest, role == GatewayRole.SERVER);
            event = toEvent(request, route, query);
        } catch (IllegalArgumentException badRequest) {
            return CompletableFuture.completedFuture(
                    HttpResponses.error(HttpResponseStatus.BAD_REQUEST, badRequest.getMessage()));
        }
        CompletableFuture<PipeReply> reply = backend.call(route.target(), event);
        CompletableFuture<FullHttpResponse> response = reply.thenApply(HttpResponses::fromReply);
        response.whenComplete((ok, failure) -> {
            if (failure != null) {
                log.info("{} {} failed: {}", event.verb(), request.uri(), rootMessage(failure));
            }
        });
        // Cancelling the response (caller hung up) must reach the pipe call, so it can tell the peer.
        response.exceptionally(failure -> {
            if (response.isCancelled()) {
                reply.cancel(true);
            }
            return null;
        });
        return response;
    }

    private static PipeEvent toEvent(FullHttpRequest request, CallRoute route, String query) {
        List<HeaderField> headers = new ArrayList<>();
        Duration timeout = null;
        String contentType = null;
        for (Map.Entry<String, String> header : request.headers()) {
            String name = header.getKey();
            if (name.equalsIgnoreCase(TIMEOUT_HEADER)) {
                timeout = Durations.parse(header.getValue());
            } else if (name.equalsIgnoreCase(HttpHeaderNames.CONTENT_TYPE.toString())) {
                contentType = header.getValue();
            } else if (!HopByHop.isHopByHop(name)) {
                headers.add(new HeaderField(name, header.getValue()));
            }
        }
        byte[] body = ByteBufUtil.getBytes(request.content());
        return new PipeEvent(request.method().name(), route.noun(), route.arguments(), query, headers,
                contentType, body, timeout);
    }

    private FullHttpResponse health() {
        boolean up = backend.isUp();
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("status", up ? "up" : "down");
        body.put("role", role.name().toLowerCase(java.util.Locale.ROOT));
        if (role == GatewayRole.SERVER) {
            body.put("clients", backend.clients().size());
        }
        return HttpResponses.json(up ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
    }

    /** Writes every response at the head of the queue that is ready, keeping request order. */
    private void flushReady(ChannelHandlerContext ctx) {
        boolean wrote = false;
        while (!pending.isEmpty() && pending.peek().response != null) {
            PendingResponse slot = pending.poll();
            FullHttpResponse response = slot.response;
            HttpUtil.setContentLength(response, response.content().readableBytes());
            if (slot.head) {
                response.content().clear();
            }
            if (slot.keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.write(response);
            } else {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                pending.forEach(PendingResponse::cancel);
                pending.clear();
                return;
            }
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        pending.forEach(PendingResponse::cancel);
        pending.clear();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("gateway connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    private static String rootMessage(Throwable failure) {
        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
        return cause.getMessage();
    }

    private static final class PendingResponse {
        boolean keepAlive;
        final boolean head;
        CompletableFuture<FullHttpResponse> call;
        FullHttpResponse response;
        boolean cancelled;

        PendingResponse(boolean keepAlive, boolean head) {
            this.keepAlive = keepAlive;
            this.head = head;
        }

        void complete(FullHttpResponse response) {
            if (this.response == null && !cancelled) {
                this.response = response;
            } else {
                response.release();
            }
        }

        void cancel() {
            cancelled = true;
            if (call != null) {
                call.cancel(true);
            }
            if (response != null) {
                response.release();
            }
        }
    }
}
