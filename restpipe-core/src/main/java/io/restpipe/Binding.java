package io.restpipe;

import java.net.BindException;
import java.net.InetSocketAddress;

/** Binds a listener, turning the failure into a {@link StartupException} that names the address and the cause. */
final class Binding {
    interface Binder {
        InetSocketAddress bind(InetSocketAddress address) throws Exception;
    }

    private Binding() {
    }

    static InetSocketAddress bind(String what, InetSocketAddress address, Binder binder) {
        try {
            return binder.bind(address);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("interrupted while starting the " + what, e);
        } catch (Exception e) {
            String where = address.getHostString() + ":" + address.getPort();
            String why = e instanceof BindException ? "address already in use or not available here"
                    : String.valueOf(e.getMessage());
            throw new StartupException("cannot listen for the " + what + " on " + where + ": " + why, e);
        }
    }
}
