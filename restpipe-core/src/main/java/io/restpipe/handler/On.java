package io.restpipe.handler;

import io.restpipe.PeerInfo;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Binds a method to a verb and noun; {@link Handlers#register(Object)} turns each such method into an
 * {@link EventHandler}. Parameters receive what they declare: {@link Call}, {@link Body},
 * {@link io.restpipe.PeerInfo}, {@code List<String>} or {@code String[]} (all arguments), {@code String}
 * (the next positional argument, or {@code null}), or any other type (the body decoded from JSON).
 *
 * <pre>{@code
 * @On(verb = "GET", noun = "greet")
 * String greet(String name) { return "hello " + name; }
 * }</pre>
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface On {
    /** The verb, case-insensitive; {@code "*"} takes every verb. */
    String verb() default "GET";

    /** The noun; it may contain {@code /}. */
    String noun();
}
