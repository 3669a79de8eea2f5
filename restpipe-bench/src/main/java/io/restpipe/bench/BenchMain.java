package io.restpipe.bench;

import io.netty.util.ResourceLeakDetector;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine;

/**
 * The load tools the {@code bench/} scripts run ({@code java -jar restpipe-bench.jar load|attack ...}); they are
 * not part of the product jar.
 */
@Command(name = "restpipe-bench", mixinStandardHelpOptions = true,
        description = "Load and attack tools for RestPipe's benchmarks.",
        subcommands = {LoadCommand.class, AttackCommand.class, HelpCommand.class})
public final class BenchMain implements Runnable {
    public static void main(String[] args) {
        System.getProperties().putIfAbsent("io.netty.jfr.enabled", "false");
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
