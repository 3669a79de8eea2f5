package io.restpipe.cli;

/** A mistake in what the user asked for (an option, a file): reported in one line with exit code 2. */
final class UsageError extends RuntimeException {
    UsageError(String message) {
        super(message);
    }
}
