package io.restpipe.internal.trust;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.Properties;

/**
 * One-time enrolment tokens (SPEC §11), kept as files in the CA directory's {@code tokens/}: each named by the
 * SHA-256 of its token (so the directory gives no token away), holding the one name it is good for and until when.
 * Redeeming deletes the file, so a token is good once even when two clients race with it. Thread-safe.
 */
public final class EnrolmentTokens {
    static final String DIRECTORY = "tokens";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;

    /** @param caDir the CA's directory; tokens live in its {@code tokens/} */
    public EnrolmentTokens(Path caDir) {
        this.dir = caDir.resolve(DIRECTORY);
    }

    /**
     * Makes a token good once for {@code name} until {@code ttl} from now, and returns it; tokens that expired unused
     * are deleted on the way.
     *
     * @throws IllegalArgumentException when {@code ttl} reaches past the last instant a date can hold
     */
    public String create(String name, Duration ttl) throws IOException {
        Instant expires;
        try {
            expires = Instant.now().plus(ttl);
        } catch (ArithmeticException | java.time.DateTimeException e) {
            throw new IllegalArgumentException("a token cannot live " + ttl.toDays() + " days");
        }
        deleteExpired();
        byte[] secret = new byte[24];
        RANDOM.nextBytes(secret);
        String token = "rpe_" + HexFormat.of().formatHex(secret);
        Files.createDirectories(dir);
        Properties entry = new Properties();
        entry.setProperty("name", name);
        entry.setProperty("expires", expires.toString());
        StringBuilder text = new StringBuilder();
        entry.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        Files.writeString(dir.resolve(GatewayTokens.sha256(token)), text);
        return token;
    }

    /** Deletes the tokens that expired unused, so that the directory holds only tokens still good. */
    private void deleteExpired() throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Properties entry = new Properties();
                try (var reader = Files.newBufferedReader(file)) {
                    entry.load(reader);
                    if (Instant.now().isAfter(Instant.parse(entry.getProperty("expires", "")))) {
                        Files.deleteIfExists(file);
                    }
                } catch (IOException | DateTimeParseException e) {
                    // Not a token of ours, or being redeemed right now: left alone.
                }
            }
        }
    }

    /**
     * The name {@code token} was made for, leaving it good.
     *
     * @throws IllegalArgumentException when it is unknown, used already, or expired
     */
    public String check(String token) {
        return read(token, false);
    }

    /**
     * The name {@code token} was made for, which it can then never give again.
     *
     * @throws IllegalArgumentException when it is unknown, used already, or expired
     */
    public String redeem(String token) {
        return read(token, true);
    }

    private String read(String token, boolean spend) {
        Path file = dir.resolve(GatewayTokens.sha256(token));
        Properties entry = new Properties();
        try {
            try (var reader = Files.newBufferedReader(file)) {
                entry.load(reader);
            }
            if (spend) {
                // Whoever deletes it first has redeemed it.
                Files.delete(file);
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("the enrolment token is unknown or was used already: ask for a new one "
                    + "(restpipe pki token --dir CA_DIR --name NAME)");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the enrolment token " + file + ": " + e.getMessage(), e);
        }
        String name = entry.getProperty("name");
        Instant expires;
        try {
            expires = Instant.parse(entry.getProperty("expires", ""));
        } catch (DateTimeParseException e) {
            throw new IllegalStateException("enrolment token file " + file + " is damaged", e);
        }
        if (Instant.now().isAfter(expires)) {
            throw new IllegalArgumentException("the enrolment token for " + name + " expired at " + expires
                    + ": ask for a new one (restpipe pki token --dir CA_DIR --name " + name + ")");
        }
        return name;
    }
}
