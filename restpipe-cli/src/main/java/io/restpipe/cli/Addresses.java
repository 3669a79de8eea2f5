package io.restpipe.cli;

import java.net.Inet6Address;
import java.net.InetSocketAddress;

/** Prints socket addresses the way users type them: {@code 127.0.0.1:8080}, {@code [::1]:8080}. */
final class Addresses {
    private Addresses() {
    }

    static String show(InetSocketAddress address) {
        String host = address.getAddress() == null ? address.getHostString() : address.getAddress().getHostAddress();
        if (address.getAddress() instanceof Inet6Address) {
            host = "[" + host + "]";
        }
        return host + ":" + address.getPort();
    }
}
