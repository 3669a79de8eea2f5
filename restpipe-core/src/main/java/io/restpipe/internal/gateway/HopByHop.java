package io.restpipe.internal.gateway;

import java.util.Set;
import java.util.TreeSet;

/**
 * The headers that describe one HTTP connection and so never travel through the pipe or on to a forward's upstream
 * (RFC 9110 §7.6.1).
 */
public final class HopByHop {
    /** Case-insensitive, so a lookup needs no lower-cased copy of the name (this runs for every header of a call). */
    private static final Set<String> NAMES = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);

    static {
        NAMES.addAll(Set.of("connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length",
                "expect"));
    }

    private HopByHop() {
    }

    /**
     * True for hop-by-hop headers and for those the receiving side derives itself (Host, Content-Length), or that
     * the gateway already answered (Expect).
     */
    public static boolean isHopByHop(String name) {
        return NAMES.contains(name);
    }
}
