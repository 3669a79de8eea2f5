package io.restpipe.internal.trust;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.restpipe.internal.util.RepeatedLog;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Applies a side's access policy (the one in force now: it may be reloaded) to one call, and counts and logs what it
 * denied, or in shadow mode would have denied. Thread-safe.
 */
public final class AccessControl {
    private static final Logger log = LoggerFactory.getLogger(AccessControl.class);
    private static final RepeatedLog denials = new RepeatedLog(log, Level.INFO, Duration.ofSeconds(10));

    private final Supplier<AccessPolicy> policy;
    private final MeterRegistry registry;
    private final Map<String, Counter> denied = new ConcurrentHashMap<>();
    private final Map<String, Counter> shadowDenied = new ConcurrentHashMap<>();

    public AccessControl(Supplier<AccessPolicy> policy, MeterRegistry registry) {
        this.policy = policy;
        this.registry = registry;
    }

    /**
     * Whether {@code sender} may have {@code executor} run {@code verb noun}: denied only in enforce mode; a shadow
     * policy's denial is counted and logged, and allowed.
     */
    public AccessDecision check(String sender, String executor, String verb, String noun) {
        AccessPolicy current = policy.get();
        AccessDecision decision = current.decide(sender, executor, verb, noun);
        if (decision.allowed()) {
            return decision;
        }
        String what = verb + " " + noun + " from " + sender + " to " + executor;
        if (current.shadow()) {
            counter(shadowDenied, "restpipe.acl.shadow.denied", decision.rule()).increment();
            denials.log("shadow " + decision.rule(), "shadow mode: would deny " + what + " (" + describe(decision)
                    + ")");
            return new AccessDecision(true, decision.rule());
        }
        counter(denied, "restpipe.acl.denied", decision.rule()).increment();
        denials.log("deny " + decision.rule(), "denied " + what + " (" + describe(decision) + ")");
        return decision;
    }

    /** The words a denied caller reads: which rule, and where rules live. */
    public static String denialMessage(AccessDecision decision, String sender, String executor, String verb,
                                       String noun) {
        return verb + " " + noun + " from " + sender + " to " + executor + " is denied by " + describe(decision)
                + " of the access policy (--acl)";
    }

    private static String describe(AccessDecision decision) {
        return AccessDecision.DEFAULT.equals(decision.rule()) ? "the default (no rule matches)"
                : "rule \"" + decision.rule() + "\"";
    }

    private Counter counter(Map<String, Counter> counters, String name, String rule) {
        return counters.computeIfAbsent(rule, r -> Counter.builder(name).tag("rule", r)
                .description("calls the access policy denied" + (name.contains("shadow") ? " in shadow mode" : ""))
                .register(registry));
    }
}
