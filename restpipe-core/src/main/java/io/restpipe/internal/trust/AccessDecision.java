package io.restpipe.internal.trust;

/**
 * What an access policy says of one call.
 *
 * @param rule the name of the rule that decided, or {@code "default"}
 */
public record AccessDecision(boolean allowed, String rule) {
    static final String DEFAULT = "default";
}
