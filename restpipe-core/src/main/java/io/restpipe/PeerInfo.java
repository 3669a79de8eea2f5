package io.restpipe;

import java.net.InetSocketAddress;

/**
 * Who is on the other end of a pipe.
 *
 * @param name    the common name (CN) of the peer's certificate
 * @param address the peer's remote socket address
 */
public record PeerInfo(String name, InetSocketAddress address) {
    public String host() {
        return address.getAddress().getHostAddress();
    }
}
