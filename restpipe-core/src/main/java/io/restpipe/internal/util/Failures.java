package io.restpipe.internal.util;

/** Turns a chain of wrapped exceptions into the one line a log or an error reply needs. */
public final class Failures {
    private Failures() {
    }

    /** The innermost cause: Netty and the JDK wrap the failure that says what actually went wrong. */
    public static Throwable rootCause(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }

    /** The innermost cause's message, or its class name when it has none. */
    public static String describe(Throwable failure) {
        Throwable root = rootCause(failure);
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
