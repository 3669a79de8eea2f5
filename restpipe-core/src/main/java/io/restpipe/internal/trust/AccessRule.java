package io.restpipe.internal.trust;

import java.util.List;
import java.util.Set;

/**
 * One {@code [[rule]]} of an access policy: whom it concerns and whether it allows or denies. An empty list or set
 * means any. Immutable.
 *
 * @param from  who sends: {@code caller:NAME}, {@code client:NAME}, {@code server} (globs)
 * @param to    who executes: {@code client:NAME}, {@code server} (globs)
 * @param verbs upper case; empty for any
 * @param nouns globs over the noun
 */
record AccessRule(String name, boolean allow, List<Glob> from, List<Glob> to, Set<String> verbs, List<Glob> nouns) {

    boolean matches(String sender, String executor, String verb, String noun) {
        return anyMatches(from, sender) && anyMatches(to, executor)
                && (verbs.isEmpty() || verbs.contains(verb)) && anyMatches(nouns, noun);
    }

    private static boolean anyMatches(List<Glob> globs, String text) {
        if (globs.isEmpty()) {
            return true;
        }
        for (Glob glob : globs) {
            if (glob.matches(text)) {
                return true;
            }
        }
        return false;
    }
}
