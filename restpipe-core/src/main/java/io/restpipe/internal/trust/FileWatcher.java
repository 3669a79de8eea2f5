package io.restpipe.internal.trust;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads a side's watched files on one thread of its own, every {@link #INTERVAL}, and runs its periodic checks
 * there. Polling, unlike inotify, also
 * sees a file replaced by a rename or behind a symbolic link (a Kubernetes secret), and costs a few small reads a
 * second. A file's listeners run on this thread after its new content is in force. Thread-safe.
 */
public final class FileWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FileWatcher.class);
    /** New content is in force within this (and the 5 s SPEC §11 allows). */
    public static final Duration INTERVAL = Duration.ofSeconds(1);

    private final String side;
    private final MeterRegistry registry;
    private final List<Watch> watches = new CopyOnWriteArrayList<>();
    private final List<Periodic> periodic = new CopyOnWriteArrayList<>();
    private ScheduledExecutorService thread;

    /** @param registry counts each file's reloads, applied and refused: {@code restpipe_file_reloads_total} */
    public FileWatcher(String side, MeterRegistry registry) {
        this.side = side;
        this.registry = registry;
    }

    /** Re-reads {@code file} once started, and runs {@code changed} each time its new content is in force. */
    public void watch(WatchedFile<?> file, Runnable changed) {
        watches.add(new Watch(file, changed, reloads(file, "applied"), reloads(file, "refused")));
    }

    private Counter reloads(WatchedFile<?> file, String outcome) {
        return Counter.builder("restpipe.file.reloads").tag("file", file.label()).tag("outcome", outcome)
                .description("changes to a watched file (--cert, --acl, ...) put in force, or refused as bad")
                .register(registry);
    }

    /** Runs {@code task} once started, and every {@code period} after that, on the same thread. */
    public void every(Duration period, Runnable task) {
        periodic.add(new Periodic(period, task));
    }

    /**
     * Runs {@code task} on the watcher's thread, between two looks at the files: what it writes is read whole.
     * Runs it at once on the calling thread when the watcher is not running.
     */
    public synchronized void execute(Runnable task) {
        if (thread == null || thread.isShutdown()) {
            task.run();
        } else {
            thread.execute(task);
        }
    }

    /** Starts polling, on a thread of its own; nothing when there is nothing to do. */
    public synchronized void start() {
        if (thread != null || (watches.isEmpty() && periodic.isEmpty())) {
            return;
        }
        thread = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("restpipe-" + side + "-reload",
                true));
        thread.scheduleWithFixedDelay(this::pollAll, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        for (Periodic each : periodic) {
            thread.scheduleAtFixedRate(() -> {
                try {
                    each.task().run();
                } catch (RuntimeException e) {
                    log.error("a periodic check failed: {}", e.toString(), e);
                }
            }, 0, each.period().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void pollAll() {
        for (Watch watch : watches) {
            try {
                switch (watch.file().poll()) {
                    case APPLIED -> {
                        watch.applied().increment();
                        watch.changed().run();
                    }
                    case REFUSED -> watch.refused().increment();
                    case UNCHANGED -> { }
                }
            } catch (RuntimeException e) {
                log.error("reloading {} failed: {}", watch.file().files(), e.toString(), e);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (thread != null) {
            thread.shutdownNow();
        }
    }

    private record Periodic(Duration period, Runnable task) {
    }

    private record Watch(WatchedFile<?> file, Runnable changed, Counter applied, Counter refused) {
    }
}
