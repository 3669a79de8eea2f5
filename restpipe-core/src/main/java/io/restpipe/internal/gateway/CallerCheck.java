package io.restpipe.internal.gateway;

/** Tells who a gateway caller is from its {@code Authorization} header (SPEC §11). Thread-safe. */
@FunctionalInterface
public interface CallerCheck {
    /** Lets anyone in, nameless: the gateway without {@code --gateway-auth}. */
    CallerCheck OPEN = authorization -> "";

    /**
     * The caller's name; {@code ""} for anyone when the gateway is open; {@code null} when the header lets no one in.
     */
    String identify(String authorization);
}
