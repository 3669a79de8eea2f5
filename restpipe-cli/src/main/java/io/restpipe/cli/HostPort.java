package io.restpipe.cli;

import java.net.InetSocketAddress;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads {@code HOST:PORT} (IPv6 as {@code [::1]:PORT}) into an unresolved address; DNS is left to its user. */
public final class HostPort implements ITypeConverter<InetSocketAddress> {
    @Override
    public InetSocketAddress convert(String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new TypeConversionException("'" + value + "' is not HOST:PORT");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new TypeConversionException("'" + value + "': write an IPv6 address in brackets, e.g. [::1]:1234");
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' has a port that is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new TypeConversionException("'" + value + "' has a port outside 0-65535");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** The address for binding a listener: resolved, failing with a clear message when the host is unknown. */
    static InetSocketAddress forListening(InetSocketAddress address) {
        InetSocketAddress resolved = new InetSocketAddress(address.getHostString(), address.getPort());
        if (resolved.isUnresolved()) {
            throw new IllegalArgumentException("cannot resolve listen address " + address.getHostString());
        }
        return resolved;
    }
}
