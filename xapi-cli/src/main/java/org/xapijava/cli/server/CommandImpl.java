package org.xapijava.cli.server;

/** The code of one command. */
@FunctionalInterface
public interface CommandImpl {
    void run(CommandContext c) throws Exception;
}
