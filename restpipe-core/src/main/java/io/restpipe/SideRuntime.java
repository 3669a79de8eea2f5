package io.restpipe;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.restpipe.internal.call.BodyMemory;
import io.restpipe.internal.call.DispatchDecorator;
import io.restpipe.internal.call.EventDispatcher;
import io.restpipe.internal.dispatch.HandlerDispatcher;
import io.restpipe.internal.forward.HttpForwarder;
import io.restpipe.internal.gateway.CallDecorator;
import io.restpipe.internal.gateway.GatewayBackend;
import io.restpipe.internal.gateway.GatewayRole;
import io.restpipe.internal.gateway.HttpGateway;
import io.restpipe.internal.metrics.PipeMetrics;
import io.restpipe.internal.util.EventLoops;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** What a server and a client both run around their pipe: event loops, metrics, handlers, forward, gateway. */
final class SideRuntime {
    private final MeterRegistry meters;
    private final java.util.function.Supplier<String> metricsText;
    private final PipeMetrics metrics;
    private final BodyMemory bodyMemory;
    private final EventLoopGroup pipeLoops;
    private final HttpForwarder forwarder;
    private final HandlerDispatcher handlers;
    private final EventDispatcher dispatcher;
    private final List<CallDecorator> callDecorators;
    private final AtomicBoolean closed = new AtomicBoolean();
    private HttpGateway gateway;

    /** @param loopThreads event-loop threads for the pipe(s), the gateway and the forward */
    SideRuntime(String side, int loopThreads, SideConfig<?> config) {
        this.meters = config.meterRegistry != null ? config.meterRegistry : new SimpleMeterRegistry();
        this.metricsText = config.metricsText;
        this.metrics = new PipeMetrics(meters);
        this.bodyMemory = new BodyMemory(config.bodyMemory);
        // The pipe, its gateway and the forward's upstream connections share these threads: fewer threads handing
        // calls and bodies to each other beat more threads.
        this.pipeLoops = EventLoops.create("restpipe-" + side, loopThreads);
        this.forwarder = config.forward == null ? null : new HttpForwarder(config.forward,
                config.forwardMaxConnections, config.forwardIdleTimeout, loopThreads);
        this.handlers = new HandlerDispatcher(config.handlersOrBuiltins(side), forwarder, config.exposeErrors);
        this.dispatcher = DispatchDecorator.around(handlers, List.copyOf(config.dispatchDecorators));
        this.callDecorators = List.copyOf(config.callDecorators);
    }

    /** The event loops of the pipe, its gateway and its forward. */
    EventLoopGroup pipeLoops() {
        return pipeLoops;
    }

    PipeMetrics metrics() {
        return metrics;
    }

    /** The budget of this side's bodies, shared by its pipe(s) and gateway. */
    BodyMemory bodyMemory() {
        return bodyMemory;
    }

    /** What answers the peer's events: the handlers (and the forward), wrapped in the dispatch decorators. */
    EventDispatcher dispatcher() {
        return dispatcher;
    }

    /** The text {@code /metrics} answers, or {@code null} when this side exports no metrics. */
    String scrapeMetrics() {
        return metricsText == null ? null : metricsText.get();
    }

    /** Starts the gateway on {@code address}, or none when it is {@code null}; returns the bound address. */
    InetSocketAddress startGateway(GatewayRole role, GatewayBackend backend, InetSocketAddress address,
                                   GatewayLimits limits) {
        if (address == null) {
            return null;
        }
        gateway = new HttpGateway(role, backend, callDecorators, limits, bodyMemory, pipeLoops);
        return Binding.bind(role.name().toLowerCase(java.util.Locale.ROOT) + " gateway", address, gateway::bind);
    }

    /** Stops the gateway taking connections, closes the pipe gracefully with {@code closePipe}, then the rest. */
    void close(Runnable closePipe) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (gateway != null) {
            gateway.stopAccepting();
        }
        closePipe.run();
        if (gateway != null) {
            gateway.close();
        }
        if (forwarder != null) {
            forwarder.close();
        }
        handlers.close();
        pipeLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (metricsText == null) {
            meters.close();
        }
    }
}
