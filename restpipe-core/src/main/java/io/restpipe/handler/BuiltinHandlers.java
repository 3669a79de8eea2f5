package io.restpipe.handler;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;

/**
 * The handlers every side has unless told otherwise: {@code time} (epoch seconds with a fraction) and {@code cat}
 * (its arguments concatenated), answering exactly as the original RestPipe did.
 */
public final class BuiltinHandlers {
    private BuiltinHandlers() {
    }

    /** @param side {@code "server"} or {@code "client"}: it names the JSON keys ({@code time_from_server}, ...) */
    public static Handlers register(Handlers handlers, String side) {
        String timeKey = "time_from_" + side;
        String resultKey = "result_from_" + side;
        return handlers
                .onNonBlocking("GET", "time", call -> Map.of(timeKey, epochSeconds(Instant.now())))
                .onNonBlocking("GET", "cat", call -> Map.of(resultKey, String.join("", call.arguments())));
    }

    /** Seconds with microseconds as a plain decimal; a double would print as 1.4E9. */
    static BigDecimal epochSeconds(Instant instant) {
        long micros = instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
        return BigDecimal.valueOf(micros, 6);
    }
}
