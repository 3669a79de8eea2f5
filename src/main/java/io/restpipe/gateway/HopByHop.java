package io.restpipe.gateway;

import java.util.Locale;
import java.util.Set;

/** The headers that describe one HTTP connection and so never travel through the pipe (RFC 9110 §7.6.1). */
final class HopByHop {
    private static final Set<String> NAMES = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
            "content-length", "expect");

    private HopByHop() {
    }

    /**
     * True for hop-by-hop headers and for those the receiving side derives itself (Host, Content-Length), or that
     * the gateway already answered (Expect).
     */
    static boolean isHopByHop(String name) {
        return NAMES.contains(name.toLowerCase(Locale.ROOT));
    }
}
