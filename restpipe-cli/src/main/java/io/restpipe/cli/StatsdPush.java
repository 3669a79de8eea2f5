package io.restpipe.cli;

import io.micrometer.core.instrument.Clock;
import io.micrometer.statsd.StatsdConfig;
import io.micrometer.statsd.StatsdFlavor;
import io.micrometer.statsd.StatsdMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;

/** The optional StatsD push of the metrics ({@code --statsd HOST:PORT}), plain Etsy line format over UDP. */
final class StatsdPush {
    private StatsdPush() {
    }

    static StatsdMeterRegistry registry(InetSocketAddress target) {
        StatsdConfig config = new StatsdConfig() {
            @Override
            public String get(String key) {
                return null;
            }

            @Override
            public StatsdFlavor flavor() {
                return StatsdFlavor.ETSY;
            }

            @Override
            public String host() {
                return target.getHostString();
            }

            @Override
            public int port() {
                return target.getPort();
            }

            @Override
            public Duration pollingFrequency() {
                return Duration.ofSeconds(10);
            }
        };
        return new StatsdMeterRegistry(config, Clock.SYSTEM);
    }
}
