package io.restpipe.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that prints to the command line's own output stream, so tests can read what users see. */
public abstract class OutputCommand {
    @Spec
    CommandSpec spec;

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }
}
