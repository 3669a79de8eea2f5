package io.restpipe;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.restpipe.gateway.GatewayBackend;
import io.restpipe.gateway.GatewayLimits;
import io.restpipe.gateway.GatewayRole;
import io.restpipe.gateway.HttpGateway;
import io.restpipe.handler.HandlerDispatcher;
import io.restpipe.pipe.PipeMetrics;
import io.netty.channel.EventLoopGroup;
import io.restpipe.forward.HttpForwarder;
import io.restpipe.pipe.BodyMemory;
import io.restpipe.pipe.EventLoops;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** What a server and a client both run around their pipe: event loops, metrics, handlers, forward, gateway. */
final class SideRuntime {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final CompositeMeterRegistry meters = new CompositeMeterRegistry();
    private final PipeMetrics metrics;
    private final BodyMemory bodyMemory;
    private final EventLoopGroup pipeLoops;
    private final HttpForwarder forwarder;
    private final HandlerDispatcher dispatcher;
    private final AtomicBoolean closed = new AtomicBoolean();
    private HttpGateway gateway;

    /** @param loopThreads event-loop threads for the pipe(s), the gateway and the forward */
    SideRuntime(String side, int loopThreads, SideConfig<?> config) {
        meters.add(registry);
        if (config.statsd != null) {
            meters.add(StatsdPush.registry(config.statsd));
        }
        this.metrics = new PipeMetrics(meters);
        this.bodyMemory = new BodyMemory(config.bodyMemory);
        // The pipe, its gateway and the forward's upstream connections share these threads: fewer threads handing
        // calls and bodies to each other beat more threads.
        this.pipeLoops = EventLoops.create("restpipe-" + side, loopThreads);
        this.forwarder = config.forward == null ? null : new HttpForwarder(config.forward,
                config.forwardMaxConnections, config.forwardIdleTimeout, loopThreads);
        this.dispatcher = new HandlerDispatcher(config.handlersOrBuiltins(side), forwarder, config.exposeErrors);
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

    HandlerDispatcher dispatcher() {
        return dispatcher;
    }

    String scrapeMetrics() {
        return registry.scrape();
    }

    /** Starts the gateway on {@code address}, or none when it is {@code null}; returns the bound address. */
    InetSocketAddress startGateway(GatewayRole role, GatewayBackend backend, InetSocketAddress address,
                                   GatewayLimits limits) {
        if (address == null) {
            return null;
        }
        gateway = new HttpGateway(role, backend, limits, bodyMemory, pipeLoops);
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
        dispatcher.close();
        pipeLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        meters.getRegistries().forEach(io.micrometer.core.instrument.MeterRegistry::close);
        meters.close();
    }
}
