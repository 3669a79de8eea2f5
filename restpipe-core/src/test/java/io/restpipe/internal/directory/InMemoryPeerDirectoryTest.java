package io.restpipe.internal.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.embedded.EmbeddedChannel;
import io.restpipe.PeerInfo;
import io.restpipe.PipeException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The look-up of a call's target, on a fake clock: the connect wait runs on an embedded event loop whose time only
 * the test moves, and host name look-ups run inline (or are refused) on an executor the test picks.
 */
class InMemoryPeerDirectoryTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    /** Lends its event loop, with time frozen, as the directory's timer. */
    private final EmbeddedChannel clock = new EmbeddedChannel();
    private InMemoryPeerDirectory<FakePeer> directory = directoryWithLookUps(Runnable::run);

    @AfterEach
    void stopTheClock() {
        clock.finishAndReleaseAll();
    }

    @Test
    void aConnectedClientResolvesByItsName() {
        FakePeer alice = register("alice", "10.0.0.5");
        register("bob", "10.0.0.6");

        assertThat(directory.resolve("alice", WAIT)).isCompletedWithValue(alice);
    }

    @Test
    void anIpv4LiteralResolvesToTheClientConnectedFromThatAddress() {
        register("alice", "10.0.0.5");
        FakePeer bob = register("bob", "10.0.0.6");

        assertThat(directory.resolve("10.0.0.6", WAIT)).isCompletedWithValue(bob);
    }

    @Test
    void aBracketedIpv6LiteralResolvesToTheClientConnectedFromThatAddress() {
        register("alice", "10.0.0.5");
        FakePeer carol = register("carol", "2001:db8::7");

        assertThat(directory.resolve("[2001:db8::7]", WAIT)).isCompletedWithValue(carol);
        assertThat(directory.resolve("[2001:0db8:0:0:0:0:0:7]", WAIT)).as("the same address written out")
                .isCompletedWithValue(carol);
    }

    @Test
    void twoClientsConnectedFromOneAddressMakeThatAddressAmbiguous() {
        register("alice", "10.0.0.5");
        register("bob", "10.0.0.5");

        assertFailsWith(directory.resolve("10.0.0.5", WAIT), PipeException.Kind.AMBIGUOUS)
                .hasMessageContaining("alice, bob");
    }

    @Test
    void aNameThatOnceConnectedIsWaitedForAndResolvesWhenItRegistersAgain() {
        FakePeer before = register("alice", "10.0.0.5");
        directory.unregister(before);

        CompletableFuture<FakePeer> resolved = directory.resolve("alice", WAIT);
        advance(WAIT.minusMillis(1));
        assertThat(resolved).as("still within the wait").isNotDone();

        FakePeer back = register("alice", "10.0.0.9");
        assertThat(resolved).isCompletedWithValue(back);
        advance(WAIT);
        assertThat(resolved).as("the wait's timer, once it ran out").isCompletedWithValue(back);
    }

    @Test
    void aNameThatOnceConnectedAndStaysAwayIsUnavailableOnceTheWaitRunsOut() {
        directory.unregister(register("alice", "10.0.0.5"));

        CompletableFuture<FakePeer> resolved = directory.resolve("alice", WAIT);
        advance(WAIT.minusMillis(1));
        assertThat(resolved).isNotDone();
        advance(Duration.ofMillis(1));

        assertFailsWith(resolved, PipeException.Kind.UNAVAILABLE).hasMessageContaining("alice is not connected");
    }

    /**
     * "[nobody]" is no IP literal, so the directory looks it up as a host name, which the JDK refuses without asking
     * any DNS server (brackets hold only an IPv6 literal): a name that resolves nowhere, on any machine.
     */
    @Test
    void aNameNeverSeenThatIsNoHostIsNotFoundOnlyOnceTheWaitRunsOut() {
        register("alice", "10.0.0.5");

        CompletableFuture<FakePeer> resolved = directory.resolve("[nobody]", WAIT);
        advance(WAIT.minusMillis(1));
        assertThat(resolved).as("a client of that name may still connect (a server restart)").isNotDone();
        advance(Duration.ofMillis(1));

        assertFailsWith(resolved, PipeException.Kind.NOT_FOUND).hasMessageContaining("no client named [nobody]");
    }

    @Test
    void aNewerRegistrationReplacesTheOlderAndUnregisteringTheOlderKeepsTheNewer() {
        FakePeer older = register("alice", "10.0.0.5");
        FakePeer newer = new FakePeer("alice", "10.0.0.9");

        assertThat(directory.register(newer)).as("the one replaced").isSameAs(older);
        assertThat(directory.unregister(older)).as("the older one forgotten").isFalse();

        assertThat(directory.get("alice")).isSameAs(newer);
        assertThat(directory.resolve("alice", WAIT)).isCompletedWithValue(newer);
        assertThat(directory.size()).isEqualTo(1);
        assertThat(directory.unregister(newer)).isTrue();
        assertThat(directory.get("alice")).isNull();
    }

    @Test
    void theSnapshotListsTheClientsSortedByName() {
        register("carol", "10.0.0.7");
        register("alice", "10.0.0.5");
        register("bob", "10.0.0.6");

        assertThat(directory.snapshot()).extracting(ConnectedPeer::name).containsExactly("alice", "bob", "carol");
    }

    @Test
    void aHostNameLookUpThePoolRefusesFailsUnavailableAtOnce() {
        directory = directoryWithLookUps(lookUp -> {
            throw new RejectedExecutionException("look-up queue full");
        });
        register("alice", "10.0.0.5");

        assertFailsWith(directory.resolve("printer.example.com", WAIT), PipeException.Kind.UNAVAILABLE)
                .hasMessageContaining("too many host name look-ups");
    }

    private InMemoryPeerDirectory<FakePeer> directoryWithLookUps(Executor lookUps) {
        clock.freezeTime();
        return new InMemoryPeerDirectory<>(clock.eventLoop(), lookUps);
    }

    private FakePeer register(String name, String address) {
        FakePeer peer = new FakePeer(name, address);
        directory.register(peer);
        return peer;
    }

    /** Moves the directory's clock on and runs the timers that came due. */
    private void advance(Duration by) {
        clock.advanceTimeBy(by.toNanos(), TimeUnit.NANOSECONDS);
        clock.runScheduledPendingTasks();
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertFailsWith(
            CompletableFuture<FakePeer> resolved, PipeException.Kind kind) {
        assertThat(resolved).isCompletedExceptionally();
        return assertThatThrownBy(resolved::get).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOf(PipeException.class)
                .satisfies(failure -> assertThat(((PipeException) failure).kind()).isEqualTo(kind));
    }

    /** A connected peer as the directory sees it; equal only to itself, like the server's real ones. */
    private static final class FakePeer implements PeerDirectory.Entry {
        private final PeerInfo peer;

        FakePeer(String name, String address) {
            this.peer = new PeerInfo(name, new InetSocketAddress(address, 4000));
        }

        @Override
        public PeerInfo peer() {
            return peer;
        }

        @Override
        public boolean isAvailable() {
            return true;
        }

        @Override
        public ConnectedPeer describe() {
            return new ConnectedPeer(peer.name(), peer.address(), Instant.EPOCH, null, 0);
        }

        @Override
        public String toString() {
            return peer.name() + "@" + peer.host();
        }
    }
}
