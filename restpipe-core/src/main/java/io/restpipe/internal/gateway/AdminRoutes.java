package io.restpipe.internal.gateway;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.restpipe.internal.directory.ConnectedPeer;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The gateway's own routes, apart from call routing: {@code /healthz}, {@code /metrics} and, on the server,
 * {@code /clients}; any other path that is not a call gets a 404 naming the routes that exist. Thread-safe.
 */
final class AdminRoutes {
    /** Open to anyone even with --gateway-auth: load balancers probe it. */
    static final String HEALTH = "/healthz";
    private static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

    private final GatewayRole role;
    private final GatewayBackend backend;

    AdminRoutes(GatewayRole role, GatewayBackend backend) {
        this.role = role;
        this.backend = backend;
    }

    /** The response to {@code request} for {@code path}, which is not a call's. */
    FullHttpResponse answer(HttpRequest request, String path) {
        boolean readOnly = request.method().equals(HttpMethod.GET) || request.method().equals(HttpMethod.HEAD);
        if (readOnly && path.equals(HEALTH)) {
            return health();
        }
        if (readOnly && path.equals("/metrics")) {
            return metrics();
        }
        if (readOnly && path.equals("/clients") && role == GatewayRole.SERVER) {
            return HttpResponses.json(HttpResponseStatus.OK, backend.clients().stream().map(AdminRoutes::row).toList());
        }
        String usage = role == GatewayRole.SERVER ? "/client/<target>/<noun>[//<arg>...]" : "/server/<noun>[//<arg>...]";
        return HttpResponses.error(HttpResponseStatus.NOT_FOUND, "no route for " + request.method() + " " + path
                + "; calls go to " + usage + ", and /healthz, /metrics"
                + (role == GatewayRole.SERVER ? ", /clients" : "") + " exist");
    }

    private static Map<String, Object> row(ConnectedPeer client) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", client.name());
        row.put("remote_address", client.remoteAddress().getAddress().getHostAddress() + ":"
                + client.remoteAddress().getPort());
        row.put("connected_since", client.connectedSince().toString());
        row.put("heartbeat_rtt_ms", client.heartbeatRtt() == null ? null : client.heartbeatRtt().toNanos() / 1_000_000.0);
        row.put("events_in_flight", client.eventsInFlight());
        return row;
    }

    private FullHttpResponse metrics() {
        String text = backend.scrapeMetrics();
        if (text == null) {
            return HttpResponses.error(HttpResponseStatus.NOT_FOUND, "this side exports no metrics: the program that"
                    + " embeds RestPipe gives it a registry with metrics(registry, text) on its builder");
        }
        return HttpResponses.text(HttpResponseStatus.OK, PROMETHEUS, text);
    }

    private FullHttpResponse health() {
        boolean up = backend.isUp();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "up" : "down");
        body.put("role", role.name().toLowerCase(Locale.ROOT));
        if (role == GatewayRole.SERVER) {
            body.put("clients", backend.clients().size());
        }
        return HttpResponses.json(up ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
    }
}
