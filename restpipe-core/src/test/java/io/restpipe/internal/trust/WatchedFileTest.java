package io.restpipe.internal.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.restpipe.internal.trust.WatchedFile.Poll;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatchedFileTest {
    @TempDir
    Path dir;

    private WatchedFile<Integer> numberIn(Path file) {
        return new WatchedFile<>("number", "number file (--number)", file, text -> {
            try {
                return Integer.parseInt(text.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("\"" + text.strip() + "\" is not a number");
            }
        });
    }

    @Test
    void aChangeIsPutInForceAndABadOneRefusedOnceWithTheOldKept() throws Exception {
        Path file = Files.writeString(dir.resolve("n"), "1\n");
        WatchedFile<Integer> number = numberIn(file);
        assertThat(number.get()).isEqualTo(1);
        assertThat(number.poll()).isEqualTo(Poll.UNCHANGED);

        Files.writeString(file, "2\n");
        assertThat(number.poll()).isEqualTo(Poll.APPLIED);
        assertThat(number.get()).isEqualTo(2);

        Files.writeString(file, "two\n");
        assertThat(number.poll()).isEqualTo(Poll.REFUSED);
        assertThat(number.poll()).as("the same bad content, reported once").isEqualTo(Poll.UNCHANGED);
        assertThat(number.get()).isEqualTo(2);

        Files.delete(file);
        assertThat(number.poll()).isEqualTo(Poll.REFUSED);
        assertThat(number.poll()).isEqualTo(Poll.UNCHANGED);
        assertThat(number.get()).isEqualTo(2);

        // Replaced by a rename, as editors and Kubernetes do.
        Path next = Files.writeString(dir.resolve("n.tmp"), "3\n");
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE);
        assertThat(number.poll()).isEqualTo(Poll.APPLIED);
        assertThat(number.get()).isEqualTo(3);
        assertThat(number.label()).isEqualTo("number");
    }

    @Test
    void aFileThatCannotBeReadOrParsedAtStartIsAnErrorNamingIt() throws Exception {
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> numberIn(missing)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("number file (--number) " + missing + " does not exist");
        Path bad = Files.writeString(dir.resolve("bad"), "x");
        assertThatThrownBy(() -> numberIn(bad)).hasMessage("number file (--number) " + bad + ": \"x\" is not a number");
    }
}
