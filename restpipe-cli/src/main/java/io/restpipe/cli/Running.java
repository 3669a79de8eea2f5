package io.restpipe.cli;

import java.util.concurrent.CountDownLatch;

/** Keeps a command in the foreground until SIGTERM or Ctrl-C, then closes what it started, gracefully. */
final class Running {
    private Running() {
    }

    /** Blocks until the JVM is asked to stop; {@code resources} are closed in order by the shutdown hook. */
    static int untilStopped(AutoCloseable... resources) {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (AutoCloseable resource : resources) {
                try {
                    resource.close();
                } catch (Exception e) {
                    System.err.println("restpipe: error while stopping: " + e.getMessage());
                }
            }
            stopped.countDown();
        }, "restpipe-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
