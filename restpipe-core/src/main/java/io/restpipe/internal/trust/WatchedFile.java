package io.restpipe.internal.trust;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parsed content of a file, or of files that only make sense together (a certificate, its key and the CA), that
 * is re-read when it changes (hot reload): {@link #poll} reads the files again and, when their text differs, parses
 * it; content that does not parse is refused with a log line and the old stays in force. {@link #get} is
 * thread-safe; {@link #poll} is called by one thread at a time (the side's {@link FileWatcher}).
 */
public final class WatchedFile<T> implements Supplier<T> {
    private static final Logger log = LoggerFactory.getLogger(WatchedFile.class);
    /** Larger is surely not one of ours (an ACL, a token list, a PEM file): refused rather than read into memory. */
    static final int MAX_BYTES = 4 * 1024 * 1024;

    /** What came of one look at the files. */
    public enum Poll { UNCHANGED, APPLIED, REFUSED }

    private final String label;
    private final String what;
    private final List<Path> files;
    private final Function<List<String>, T> parse;
    private volatile T current;
    private List<String> lastTexts;
    /** The content last refused, so that a bad file is reported once, not at every look. */
    private List<String> refusedTexts;
    private String lastProblem;

    /**
     * Reads and parses {@code file} now.
     *
     * @param label  a short name for metrics ({@code acl})
     * @param what   what the file is, for messages ("access policy (--acl)")
     * @param parse  turns the file's text into its value, or throws {@link IllegalArgumentException} saying why not
     * @throws IllegalArgumentException naming the file and the problem, when it cannot be read or parsed
     */
    public WatchedFile(String label, String what, Path file, Function<String, T> parse) {
        this(label, what, List.of(file), texts -> parse.apply(texts.get(0)));
    }

    /** Like the other, for files read together: {@code parse} gets their texts in the order of {@code files}. */
    public WatchedFile(String label, String what, List<Path> files, Function<List<String>, T> parse) {
        this.label = label;
        this.what = what;
        this.files = List.copyOf(files);
        this.parse = parse;
        this.lastTexts = read();
        this.current = parse(lastTexts);
    }

    @Override
    public T get() {
        return current;
    }

    /** The files, for messages. */
    public String files() {
        return files.stream().map(Path::toString).collect(Collectors.joining(", "));
    }

    /** The short name of the file in metrics ({@code acl}). */
    public String label() {
        return label;
    }

    /**
     * Has the next {@link #poll} parse content it refused before, when it depends on more than its own files (a
     * revocation list checked against the CAs, which just changed).
     */
    public void retryRefused() {
        refusedTexts = null;
    }

    /** Re-reads the files and, when their content changed, parses it and puts it in force if it parses. */
    public Poll poll() {
        List<String> texts = null;
        try {
            texts = read();
            if (texts.equals(lastTexts) || texts.equals(refusedTexts)) {
                return Poll.UNCHANGED;
            }
            current = parse(texts);
        } catch (IllegalArgumentException problem) {
            refusedTexts = texts;
            if (texts == null && Objects.equals(problem.getMessage(), lastProblem)) {
                return Poll.UNCHANGED;
            }
            lastProblem = problem.getMessage();
            log.error("{}; the previous content stays in force until the file is fixed", problem.getMessage());
            return Poll.REFUSED;
        }
        lastTexts = texts;
        refusedTexts = null;
        lastProblem = null;
        log.info("reloaded {} from {}", what, files());
        return Poll.APPLIED;
    }

    private List<String> read() {
        List<String> texts = new ArrayList<>(files.size());
        for (Path file : files) {
            try {
                if (Files.size(file) > MAX_BYTES) {
                    throw new IllegalArgumentException(what + " " + file + " is over " + MAX_BYTES / 1024 / 1024
                            + " MiB: is it the right file?");
                }
                texts.add(Files.readString(file, StandardCharsets.UTF_8));
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException(what + " " + file + " does not exist");
            } catch (IOException e) {
                throw new IllegalArgumentException(what + " " + file + " cannot be read: " + e.getMessage());
            }
        }
        return texts;
    }

    private T parse(List<String> texts) {
        try {
            return Objects.requireNonNull(parse.apply(texts));
        } catch (IllegalArgumentException e) {
            String where = files.size() == 1 ? files.get(0).toString() : files();
            throw new IllegalArgumentException(e.getMessage().contains(where) ? e.getMessage()
                    : what + " " + where + ": " + e.getMessage(), e);
        }
    }
}
