package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector (at {@code paranoid} in tests) reported a leaked buffer.
 * Registered for every test class through JUnit's extension auto-detection.
 */
public final class NoLeaksExtension implements AfterAllCallback {
    private static final int ROUNDS = 3;

    @Override
    public void afterAll(ExtensionContext context) {
        for (int round = 0; round < ROUNDS; round++) {
            System.gc();
            // Leaks are reported when a later allocation finds a collected, unreleased buffer; there is no event
            // for the collector having queued it, so give the reference handler a moment each round.
            LockSupport.parkNanos(20_000_000);
            for (int i = 0; i < 64; i++) {
                ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                probe.release();
            }
        }
        assertThat(LeakRecorder.drain()).as("Netty leak reports after %s", context.getDisplayName()).isEmpty();
    }
}
