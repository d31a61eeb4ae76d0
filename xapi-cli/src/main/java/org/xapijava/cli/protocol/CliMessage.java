package org.xapijava.cli.protocol;

import java.util.List;

/**
 * One framed message of the thin CLI protocol (Xapi's {@code cli_protocol.ml}): a command from the server, a
 * response from the client, or the header of a blob the client sends.
 */
public sealed interface CliMessage {

    /** A command the server sends (envelope tag 9). */
    sealed interface Command extends CliMessage {}

    /** Write the text and a newline to stdout. */
    record Print(String text) implements Command {}

    /** Write the text as it is to stderr. */
    record PrintStderr(String text) implements Command {}

    /** Debug output (shown by the client only with {@code --debug}). */
    record Debug(String text) implements Command {}

    /** Upload a local file in-band. */
    record Load(String filename) implements Command {}

    /** Read one line from the terminal and send it as a blob. */
    record Prompt() implements Command {}

    /** Download {@code url} into {@code filename} ("" for stdout). */
    record HttpGet(String filename, String url) implements Command {}

    /** Upload {@code filename} to {@code url}. */
    record HttpPut(String filename, String url) implements Command {}

    /** Relay the terminal to {@code url} (a text console). */
    record HttpConnect(String url) implements Command {}

    /** Stop and exit with {@code code}. */
    record Exit(int code) implements Command {}

    /** An error the client prints as {@code Error code:} and {@code Error parameters:}. */
    record Error(String code, List<String> params) implements Command {
        public Error {
            params = List.copyOf(params);
        }
    }

    /** A client's answer (envelope tag 10). */
    enum Response implements CliMessage {
        OK(5),
        FAILED(6),
        WAIT(18);

        final int tag;

        Response(int tag) {
            this.tag = tag;
        }
    }

    /** A blob header from the client (envelope tag 11): {@code length} raw bytes follow unframed. */
    record Chunk(int length) implements CliMessage {
        public Chunk {
            if (length < 0) throw new IllegalArgumentException("negative chunk length " + length);
        }
    }

    /** The end of a blob. */
    record End() implements CliMessage {}
}
