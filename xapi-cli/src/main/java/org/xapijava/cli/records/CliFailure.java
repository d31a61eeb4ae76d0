package org.xapijava.cli.records;

/** Xapi's {@code Cli_failure} / {@code Record_failure}: a command's own failure, printed as {@code Error: <message>}. */
public final class CliFailure extends RuntimeException {
    public CliFailure(String message) {
        super(message);
    }
}
