package io.restpipe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.restpipe.FatalErrors;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** An Error that a library caught and only logged (as Netty does for a task that threw) is still fatal. */
class FatalErrorWatchTest {
    private final List<Error> fatal = new CopyOnWriteArrayList<>();
    private final FatalErrorWatch watch = new FatalErrorWatch();
    private final Logger netty = (Logger) LoggerFactory.getLogger("io.netty.util.concurrent.AbstractEventExecutor");

    FatalErrorWatchTest() {
        FatalErrors.onFatal(fatal::add);
    }

    @AfterEach
    void restoreTheDefault() {
        FatalErrors.onFatal(FatalErrors::logAndHalt);
    }

    @Test
    void anErrorLoggedAsTheLastArgumentIsFatal() {
        OutOfMemoryError error = new OutOfMemoryError("Cannot reserve 4194304 bytes of direct buffer memory");
        watch.decide(null, netty, Level.WARN, "A task raised an exception. Task: {}", new Object[] {"task", error},
                null);
        assertThat(fatal).containsExactly(error);
    }

    @Test
    void anErrorWrappedInAnExceptionIsFatalAndAnExceptionIsNot() {
        StackOverflowError error = new StackOverflowError();
        watch.decide(null, netty, Level.WARN, "listener failed", null, new IllegalStateException(error));
        watch.decide(null, netty, Level.WARN, "listener failed", null, new IllegalStateException("just a bug"));
        watch.decide(null, netty, Level.WARN, "no throwable", new Object[] {"x"}, null);
        assertThat(fatal).containsExactly(error);
    }
}
