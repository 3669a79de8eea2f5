package io.restpipe.internal.trust;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parsed content of a file that is re-read when it changes (hot reload): {@link #poll} reads it again and, when
 * its bytes differ, parses them; content that does not parse is refused with a log line and the old stays in force.
 * {@link #get} is thread-safe; {@link #poll} is called by one thread at a time (the side's {@link FileWatcher}).
 */
public final class WatchedFile<T> implements Supplier<T> {
    private static final Logger log = LoggerFactory.getLogger(WatchedFile.class);
    /** Larger is surely not one of ours (an ACL, a token list, a PEM file): refused rather than read into memory. */
    static final int MAX_BYTES = 4 * 1024 * 1024;

    /** What came of one look at the file. */
    public enum Poll { UNCHANGED, APPLIED, REFUSED }

    private final String option;
    private final String what;
    private final Path file;
    private final Function<String, T> parse;
    private volatile T current;
    private byte[] lastBytes;
    /** The content last refused, so that a bad file is reported once, not at every look. */
    private byte[] refusedBytes;
    private String lastProblem;

    /**
     * Reads and parses {@code file} now.
     *
     * @param option the option that names the file ({@code --acl}), for messages and metrics
     * @param what   what the file is, for messages ("access policy")
     * @param parse  turns the file's text into its value, or throws {@link IllegalArgumentException} saying why not
     * @throws IllegalArgumentException naming the file and the problem, when it cannot be read or parsed
     */
    public WatchedFile(String option, String what, Path file, Function<String, T> parse) {
        this.option = option;
        this.what = what + " (" + option + ")";
        this.file = file;
        this.parse = parse;
        this.lastBytes = read();
        this.current = parse(lastBytes);
    }

    @Override
    public T get() {
        return current;
    }

    public Path file() {
        return file;
    }

    /** The option that names the file, without its dashes ({@code acl}). */
    public String option() {
        return option.replaceFirst("^-+", "");
    }

    /** Re-reads the file and, when its content changed, parses it and puts it in force if it parses. */
    public Poll poll() {
        byte[] bytes = null;
        try {
            bytes = read();
            if (Arrays.equals(bytes, lastBytes) || Arrays.equals(bytes, refusedBytes)) {
                return Poll.UNCHANGED;
            }
            current = parse(bytes);
        } catch (IllegalArgumentException problem) {
            refusedBytes = bytes;
            if (bytes == null && Objects.equals(problem.getMessage(), lastProblem)) {
                return Poll.UNCHANGED;
            }
            lastProblem = problem.getMessage();
            log.error("{}; the previous content stays in force until the file is fixed", problem.getMessage());
            return Poll.REFUSED;
        }
        lastBytes = bytes;
        refusedBytes = null;
        lastProblem = null;
        log.info("reloaded {} {}", what, file);
        return Poll.APPLIED;
    }

    private byte[] read() {
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new IllegalArgumentException(what + " " + file + " is over " + MAX_BYTES / 1024 / 1024
                        + " MiB: is it the right file?");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + " " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " " + file + " cannot be read: " + e.getMessage());
        }
    }

    private T parse(byte[] bytes) {
        try {
            return Objects.requireNonNull(parse.apply(new String(bytes, StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " " + file + ": " + e.getMessage(), e);
        }
    }
}
