package io.restpipe.internal.trust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Who may call what (SPEC §11): the rules of an {@code --acl} file, in TOML. A matching deny beats any allow; what
 * no rule matches gets the default. In shadow mode a denial is only reported. Immutable, thread-safe.
 */
public final class AccessPolicy {
    private static final TomlMapper TOML = new TomlMapper();
    private static final Set<String> TOP_KEYS = Set.of("mode", "default", "rule");
    private static final Set<String> RULE_KEYS = Set.of("name", "effect", "from", "to", "verbs", "nouns");

    private final boolean shadow;
    private final boolean allowByDefault;
    private final List<AccessRule> rules;

    AccessPolicy(boolean shadow, boolean allowByDefault, List<AccessRule> rules) {
        this.shadow = shadow;
        this.allowByDefault = allowByDefault;
        this.rules = List.copyOf(rules);
    }

    /** True in shadow mode: denials are logged and counted, and the call goes on. */
    public boolean shadow() {
        return shadow;
    }

    public int ruleCount() {
        return rules.size();
    }

    /**
     * What the policy says of {@code verb noun} sent by {@code sender} ({@code caller:NAME}, {@code client:NAME} or
     * {@code server}) to {@code executor} ({@code client:NAME} or {@code server}).
     */
    public AccessDecision decide(String sender, String executor, String verb, String noun) {
        String allowedBy = null;
        for (AccessRule rule : rules) {
            if (rule.matches(sender, executor, verb, noun)) {
                if (!rule.allow()) {
                    return new AccessDecision(false, rule.name());
                }
                if (allowedBy == null) {
                    allowedBy = rule.name();
                }
            }
        }
        return allowedBy != null ? new AccessDecision(true, allowedBy)
                : new AccessDecision(allowByDefault, AccessDecision.DEFAULT);
    }

    /**
     * Parses the TOML text of an {@code --acl} file.
     *
     * @throws IllegalArgumentException naming the key, the rule and what is wrong with it
     */
    public static AccessPolicy parse(String toml) {
        JsonNode root;
        try {
            root = TOML.readTree(toml);
        } catch (IOException e) {
            throw new IllegalArgumentException("not valid TOML: " + firstLine(e.getMessage()), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("not valid TOML: expected keys such as mode, default and [[rule]]");
        }
        unknownKeys(root, TOP_KEYS, "at the top level");
        boolean shadow = switch (text(root, "mode", "enforce", "at the top level")) {
            case "enforce" -> false;
            case "shadow" -> true;
            default -> throw new IllegalArgumentException("mode must be \"enforce\" or \"shadow\", not \""
                    + root.get("mode").asText() + "\"");
        };
        boolean allowByDefault = effect(text(root, "default", "allow", "at the top level"), "default");
        JsonNode ruleNodes = root.path("rule");
        if (!ruleNodes.isMissingNode() && !ruleNodes.isArray()) {
            throw new IllegalArgumentException("rules are written [[rule]] (an array of tables)");
        }
        List<AccessRule> rules = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (JsonNode node : ruleNodes) {
            AccessRule rule = rule(node, rules.size() + 1);
            if (!names.add(rule.name())) {
                throw new IllegalArgumentException("two rules are named \"" + rule.name() + "\": each needs its own "
                        + "name, which denials and the metrics report");
            }
            rules.add(rule);
        }
        return new AccessPolicy(shadow, allowByDefault, rules);
    }

    private static AccessRule rule(JsonNode node, int number) {
        String where = "in rule #" + number;
        if (!node.isObject()) {
            throw new IllegalArgumentException("rule #" + number + " is not a table: write it as [[rule]]");
        }
        String name = text(node, "name", null, where);
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("rule #" + number + " has no name: add name = \"...\"");
        }
        where = "in rule \"" + name + "\"";
        unknownKeys(node, RULE_KEYS, where);
        String effect = text(node, "effect", null, where);
        if (effect == null) {
            throw new IllegalArgumentException("rule \"" + name + "\" has no effect: add effect = \"allow\" or "
                    + "\"deny\"");
        }
        boolean allow = effect(effect, "effect of rule \"" + name + "\"");
        List<Glob> from = new ArrayList<>();
        for (String who : list(node, "from", where)) {
            from.add(Glob.name(party(who, true, "from", name)));
        }
        List<Glob> to = new ArrayList<>();
        for (String who : list(node, "to", where)) {
            to.add(Glob.name(party(who, false, "to", name)));
        }
        Set<String> verbs = new LinkedHashSet<>();
        for (String verb : list(node, "verbs", where)) {
            if (verb.equals("*")) {
                verbs.clear();
                break;
            }
            verbs.add(verb.toUpperCase(Locale.ROOT));
        }
        List<Glob> nouns = new ArrayList<>();
        for (String noun : list(node, "nouns", where)) {
            nouns.add(Glob.noun(noun.startsWith("/") ? noun.substring(1) : noun));
        }
        return new AccessRule(name, allow, from, to, Set.copyOf(verbs), nouns);
    }

    /** Checks one entry of {@code from} or {@code to}: a kind of party, or {@code *} for anyone. */
    private static String party(String who, boolean sender, String key, String rule) {
        if (who.equals("*") || who.equals("server") || who.startsWith("client:")
                || (sender && who.startsWith("caller:"))) {
            return who;
        }
        throw new IllegalArgumentException("rule \"" + rule + "\": " + key + " entry \"" + who + "\" names no one: "
                + "write " + (sender ? "caller:NAME, client:NAME or server" : "client:NAME or server") + " (* globs)");
    }

    private static boolean effect(String value, String key) {
        return switch (value) {
            case "allow" -> true;
            case "deny" -> false;
            default -> throw new IllegalArgumentException(key + " must be \"allow\" or \"deny\", not \"" + value
                    + "\"");
        };
    }

    private static String text(JsonNode node, String key, String absent, String where) {
        JsonNode value = node.get(key);
        if (value == null) {
            return absent;
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException(key + " " + where + " must be a string in quotes");
        }
        return value.asText();
    }

    private static List<String> list(JsonNode node, String key, String where) {
        JsonNode value = node.get(key);
        if (value == null) {
            return List.of();
        }
        if (value.isTextual()) {
            return List.of(value.asText());
        }
        List<String> items = new ArrayList<>();
        if (value.isArray() && value.isEmpty()) {
            throw new IllegalArgumentException(key + " " + where + " is an empty list, which would match no one: leave "
                    + "the key out to mean any, or list who (\"*\" for anyone)");
        }
        if (value.isArray()) {
            for (JsonNode item : value) {
                if (!item.isTextual()) {
                    break;
                }
                items.add(item.asText());
            }
            if (items.size() == value.size()) {
                return items;
            }
        }
        throw new IllegalArgumentException(key + " " + where + " must be a list of strings, e.g. [\"a\", \"b\"]");
    }

    private static void unknownKeys(JsonNode node, Set<String> known, String where) {
        for (Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!known.contains(key)) {
                throw new IllegalArgumentException("unknown key \"" + key + "\" " + where + " (known: "
                        + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }
}
