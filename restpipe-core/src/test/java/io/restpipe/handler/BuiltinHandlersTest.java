package io.restpipe.handler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class BuiltinHandlersTest {
    @Test
    void timeIsSecondsSinceTheEpochWithMicroseconds() {
        assertThat(BuiltinHandlers.epochSeconds(Instant.ofEpochSecond(1402897823, 882672000)).toPlainString())
                .isEqualTo("1402897823.882672");
    }
}
