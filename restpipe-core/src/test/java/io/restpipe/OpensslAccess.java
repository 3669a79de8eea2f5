package io.restpipe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the openssl command line (installed by .ci/run) for interoperability tests. */
public final class OpensslAccess {
    private OpensslAccess() {
    }

    /** Runs {@code openssl args...} in {@code dir}, returns its combined output, and fails on a non-zero exit. */
    public static String run(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new AssertionError("openssl " + String.join(" ", args) + " failed:\n" + output);
        }
        return output;
    }
}
