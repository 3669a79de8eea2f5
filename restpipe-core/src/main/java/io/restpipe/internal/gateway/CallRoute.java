package io.restpipe.internal.gateway;

import io.restpipe.internal.util.PercentCoding;
import java.util.List;

/**
 * A call path taken apart: {@code [<target>/]<noun>[//<arg>/<arg>...]}, each part percent-decoded.
 *
 * @param target   the client named on the server's route; {@code null} on the client's
 * @param nounPath the noun's segments, each decoded on its own (so an encoded {@code /} stays inside its segment)
 */
record CallRoute(String target, String noun, List<String> nounPath, List<String> arguments) {

    /**
     * Parses the part of the raw path after the role's prefix. Throws {@link IllegalArgumentException} for bad
     * percent-encoding or a missing target or noun.
     */
    static CallRoute parse(String rest, boolean hasTarget) {
        String target = null;
        if (hasTarget) {
            int slash = rest.indexOf('/');
            if (slash <= 0) {
                throw new IllegalArgumentException("expected /client/<target>/<noun>");
            }
            target = PercentCoding.decode(rest.substring(0, slash));
            rest = rest.substring(slash + 1);
        }
        int split = rest.indexOf("//");
        String nounPart = split < 0 ? rest : rest.substring(0, split);
        while (nounPart.endsWith("/")) {
            nounPart = nounPart.substring(0, nounPart.length() - 1);
        }
        if (nounPart.isEmpty()) {
            throw new IllegalArgumentException("the path names no noun");
        }
        List<String> nounPath = PercentCoding.decodeSegments(nounPart);
        List<String> arguments = split < 0 || split + 2 == rest.length()
                ? List.of() : PercentCoding.decodeSegments(rest.substring(split + 2));
        return new CallRoute(target, String.join("/", nounPath), nounPath, arguments);
    }
}
