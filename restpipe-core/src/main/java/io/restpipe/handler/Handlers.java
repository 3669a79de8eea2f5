package io.restpipe.handler;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The table of handlers by verb and noun. Registration and look-up are thread-safe.
 *
 * <pre>{@code
 * Handlers handlers = new Handlers()
 *         .on("GET", "time", call -> Map.of("now", Instant.now().toString()))
 *         .register(new MyAnnotatedHandler());
 * }</pre>
 */
public final class Handlers {
    /** The verb under which a handler takes every verb. */
    public static final String ANY_VERB = "*";

    private final Map<String, EventHandler> byKey = new ConcurrentHashMap<>();
    /** Handlers that never block, run on the pipe's event loop instead of a worker thread. */
    private final java.util.Set<EventHandler> nonBlocking = ConcurrentHashMap.newKeySet();

    /** Binds {@code handler} to {@code verb} (case-insensitive, or {@code "*"}) and {@code noun}; the last binding wins. */
    public Handlers on(String verb, String noun, EventHandler handler) {
        byKey.put(key(verb, noun), handler);
        return this;
    }

    /**
     * Like {@link #on}, for a handler that never blocks (no I/O, no locks, no sleeping): it runs on the pipe's
     * event loop, saving two thread hops per call. A handler that blocks here stalls the whole pipe.
     */
    public Handlers onNonBlocking(String verb, String noun, EventHandler handler) {
        on(verb, noun, handler);
        nonBlocking.add(handler);
        return this;
    }

    /** True when {@code handler} was registered with {@link #onNonBlocking}. */
    public boolean isNonBlocking(EventHandler handler) {
        return nonBlocking.contains(handler);
    }

    /** Registers every {@link On}-annotated method of {@code target}; fails if it has none. */
    public Handlers register(Object target) {
        int found = 0;
        for (Method method : target.getClass().getMethods()) {
            On on = method.getAnnotation(On.class);
            if (on != null) {
                on(on.verb(), on.noun(), new AnnotatedMethodHandler(target, method));
                found++;
            }
        }
        if (found == 0) {
            throw new IllegalArgumentException(target.getClass().getName()
                    + " has no public method annotated with @On");
        }
        return this;
    }

    /**
     * Loads the class {@code className} from the classpath, creates it with its public no-argument constructor and
     * registers it: an {@link HandlerModule} registers what it likes, any other class its {@link On} methods.
     */
    public Handlers load(String className) {
        Object instance;
        try {
            Class<?> type = Class.forName(className, true, Thread.currentThread().getContextClassLoader());
            if (Modifier.isAbstract(type.getModifiers())) {
                throw new IllegalArgumentException("handler class " + className + " is abstract");
            }
            instance = type.getConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("handler class " + className + " is not on the classpath");
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("handler class " + className + " has no public no-argument constructor");
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("handler class " + className + " cannot be created: " + e, e);
        }
        if (instance instanceof HandlerModule module) {
            module.register(this);
            return this;
        }
        return register(instance);
    }

    /** The handler for {@code verb} and {@code noun}, falling back to one bound to every verb; {@code null} if none. */
    public EventHandler find(String verb, String noun) {
        EventHandler handler = byKey.get(key(verb, noun));
        return handler != null ? handler : byKey.get(key(ANY_VERB, noun));
    }

    private static String key(String verb, String noun) {
        return verb.toUpperCase(Locale.ROOT) + ' ' + noun;
    }
}
