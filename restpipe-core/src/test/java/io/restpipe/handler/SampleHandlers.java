package io.restpipe.handler;

import io.restpipe.PeerInfo;
import java.util.List;
import java.util.Map;

/** Annotated handlers used by the tests, loadable by class name. */
public class SampleHandlers {
    public record Greeting(String name, int times) {
    }

    @On(verb = "GET", noun = "greet")
    public String greet(String first, String second) {
        return "hello " + first + " and " + second;
    }

    @On(verb = "post", noun = "people/greet")
    public Map<String, Object> greetPerson(Greeting greeting, PeerInfo peer, Call call) {
        return Map.of("text", "hi " + greeting.name().repeat(greeting.times()), "from", peer.name(),
                "verb", call.verb());
    }

    @On(verb = "*", noun = "count")
    public int count(List<String> arguments, String[] same) {
        return arguments.size() + same.length;
    }

    @On(noun = "nothing")
    public Object nothing() {
        return null;
    }

    @On(noun = "bytes")
    public byte[] bytes(Body body) {
        return new byte[] {1, 2, 3};
    }

    /** A module registering its handlers itself. */
    public static class Module implements HandlerModule {
        @Override
        public void register(Handlers handlers) {
            handlers.on("GET", "module", call -> "from module");
        }
    }

    /** A handler that runs the JVM out of memory, as far as anyone can tell. */
    public static class Exhausting {
        @On(verb = "GET", noun = "exhaust")
        public String exhaust() {
            throw new OutOfMemoryError("simulated for a test");
        }
    }

    public static class NoAnnotations {
    }

    public static class NoDefaultConstructor {
        public NoDefaultConstructor(String unused) {
        }
    }
}
