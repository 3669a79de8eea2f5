package io.restpipe.cli;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.restpipe.SideConfig;
import java.net.InetSocketAddress;

/**
 * One side's meters on the command line: a Prometheus registry that the gateway's {@code /metrics} serves, plus the
 * StatsD push when {@code --statsd} is given. Closed after the side, which flushes the push. Thread-safe.
 */
final class SideMeters implements AutoCloseable {
    private final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final CompositeMeterRegistry all = new CompositeMeterRegistry();

    /** @param statsd the StatsD agent to push to, or {@code null} for none */
    SideMeters(InetSocketAddress statsd) {
        all.add(prometheus);
        if (statsd != null) {
            all.add(StatsdPush.registry(statsd));
        }
    }

    <B extends SideConfig<B>> B applyTo(B builder) {
        return builder.metrics(all, prometheus::scrape);
    }

    @Override
    public void close() {
        all.getRegistries().forEach(MeterRegistry::close);
        all.close();
    }
}
