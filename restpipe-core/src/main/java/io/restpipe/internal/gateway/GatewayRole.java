package io.restpipe.internal.gateway;

/** Which side a gateway fronts, which decides its call route. */
public enum GatewayRole {
    /** The server's gateway: {@code VERB /client/<target>/<noun>[//<arg>...]} calls a client. */
    SERVER("/client/"),
    /** The client's gateway: {@code VERB /server/<noun>[//<arg>...]} calls the server. */
    CLIENT("/server/");

    private final String callPrefix;

    GatewayRole(String callPrefix) {
        this.callPrefix = callPrefix;
    }

    public String callPrefix() {
        return callPrefix;
    }
}
