package io.restpipe.internal.directory;

import io.netty.util.NetUtil;
import io.restpipe.PipeException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The server's connected clients, held in this process, by identity name (newest pipe wins), and the lookup of a
 * call's target by name, IP address or DNS name. Thread-safe.
 */
public final class InMemoryPeerDirectory<P extends PeerDirectory.Entry> implements PeerDirectory<P> {
    private final Map<String, P> byName = new ConcurrentHashMap<>();
    private final Set<String> everConnected = ConcurrentHashMap.newKeySet();
    private final List<Waiter<P>> waiters = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer;
    private final Executor resolverExecutor;

    /**
     * @param timer            runs the connect-wait timeouts
     * @param resolverExecutor runs blocking DNS look-ups, off the event loops
     */
    public InMemoryPeerDirectory(ScheduledExecutorService timer, Executor resolverExecutor) {
        this.timer = timer;
        this.resolverExecutor = resolverExecutor;
    }

    @Override
    public P register(P session) {
        everConnected.add(session.peer().name());
        P replaced = byName.put(session.peer().name(), session);
        for (Waiter<P> waiter : waiters) {
            if (waiter.matches.test(session) && waiter.future.complete(session)) {
                waiters.remove(waiter);
            }
        }
        return replaced;
    }

    @Override
    public boolean unregister(P session) {
        return byName.remove(session.peer().name(), session);
    }

    @Override
    public P get(String name) {
        return byName.get(name);
    }

    @Override
    public Collection<P> local() {
        return List.copyOf(byName.values());
    }

    @Override
    public List<ConnectedPeer> snapshot() {
        return byName.values().stream().map(Entry::describe)
                .sorted(java.util.Comparator.comparing(ConnectedPeer::name)).toList();
    }

    @Override
    public int size() {
        return byName.size();
    }

    @Override
    public CompletableFuture<P> resolve(String target, Duration wait) {
        P byIdentity = byName.get(target);
        if (byIdentity != null && byIdentity.isAvailable()) {
            return CompletableFuture.completedFuture(byIdentity);
        }
        if (everConnected.contains(target)) {
            return await(target, session -> session.peer().name().equals(target), wait);
        }
        if (NetUtil.isValidIpV4Address(target) || NetUtil.isValidIpV6Address(stripBrackets(target))) {
            return byAddresses(target, Set.of(NetUtil.createInetAddressFromIpAddressString(stripBrackets(target))),
                    wait);
        }
        CompletableFuture<Set<InetAddress>> lookUp;
        try {
            lookUp = CompletableFuture.supplyAsync(() -> lookUp(target), resolverExecutor);
        } catch (RejectedExecutionException busy) {
            return CompletableFuture.failedFuture(new PipeException(PipeException.Kind.UNAVAILABLE,
                    "too many host name look-ups at once; call " + target + " again later, or by its identity name"));
        }
        return lookUp.thenCompose(addresses -> addresses.isEmpty()
                ? awaitUnknownName(target, wait)
                : byAddresses(target, addresses, wait));
    }

    /**
     * A name that is neither a client's nor a host's: after a server restart it may be a client that has not
     * reconnected yet, so it is waited for before it is declared unknown.
     */
    private CompletableFuture<P> awaitUnknownName(String target, Duration wait) {
        return await(target, session -> session.peer().name().equals(target), wait).exceptionallyCompose(error ->
                CompletableFuture.failedFuture(error instanceof PipeException pipe
                        && pipe.kind() == PipeException.Kind.UNAVAILABLE
                        ? new PipeException(PipeException.Kind.NOT_FOUND, "no client named " + target
                        + " connected within " + wait.toMillis() + " ms, and it does not resolve as a host name")
                        : error));
    }

    private CompletableFuture<P> byAddresses(String target, Set<InetAddress> addresses, Duration wait) {
        Predicate<P> atAddress = session -> addresses.contains(session.peer().address().getAddress())
                || session.peer().name().equals(target);
        List<P> matches = byName.values().stream()
                .filter(P::isAvailable).filter(atAddress).collect(Collectors.toList());
        if (matches.size() == 1) {
            return CompletableFuture.completedFuture(matches.get(0));
        }
        if (matches.size() > 1) {
            String names = matches.stream().map(s -> s.peer().name()).sorted().collect(Collectors.joining(", "));
            return CompletableFuture.failedFuture(new PipeException(PipeException.Kind.AMBIGUOUS,
                    "several clients are connected from " + target + ": " + names));
        }
        return await(target, atAddress, wait);
    }

    private CompletableFuture<P> await(String target, Predicate<P> matches, Duration wait) {
        Waiter<P> waiter = new Waiter<>(matches, new CompletableFuture<>());
        waiters.add(waiter);
        // A pipe may have come up between the look-up above and registering the waiter.
        byName.values().stream().filter(P::isAvailable).filter(matches).findFirst()
                .ifPresent(waiter.future::complete);
        var timeout = timer.schedule(() -> waiter.future.completeExceptionally(new PipeException(
                PipeException.Kind.UNAVAILABLE, "client " + target + " is not connected (waited "
                + wait.toMillis() + " ms)")), wait.toNanos(), TimeUnit.NANOSECONDS);
        waiter.future.whenComplete((session, error) -> {
            waiters.remove(waiter);
            timeout.cancel(false);
        });
        return waiter.future;
    }

    /** The addresses {@code name} resolves to; none when it does not resolve. */
    private static Set<InetAddress> lookUp(String name) {
        try {
            return Set.of(InetAddress.getAllByName(name));
        } catch (UnknownHostException e) {
            return Set.of();
        }
    }

    private static String stripBrackets(String target) {
        return target.startsWith("[") && target.endsWith("]") ? target.substring(1, target.length() - 1) : target;
    }

    private record Waiter<P>(Predicate<P> matches, CompletableFuture<P> future) {
    }
}
