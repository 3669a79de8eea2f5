package io.restpipe.cli;

import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Takes an option's default from {@code RESTPIPE_<OPTION>} (e.g. {@code --pipe-listen} → {@code RESTPIPE_PIPE_LISTEN}). */
final class EnvironmentDefaults implements IDefaultValueProvider {
    private final Map<String, String> environment;

    EnvironmentDefaults(Map<String, String> environment) {
        this.environment = environment;
    }

    static String variableFor(OptionSpec option) {
        return "RESTPIPE_" + option.longestName().replaceFirst("^-+", "").replace('-', '_').toUpperCase(Locale.ROOT);
    }

    @Override
    public String defaultValue(ArgSpec argument) {
        if (argument instanceof OptionSpec option) {
            if (option.longestName().equals("--debug") && "1".equals(environment.get("DEBUG"))) {
                return "true";
            }
            return environment.get(variableFor(option));
        }
        return null;
    }
}
