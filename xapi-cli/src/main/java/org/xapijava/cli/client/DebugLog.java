package org.xapijava.cli.client;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The client's debug output: nowhere, stderr ({@code --debug}), or a temporary file shown on stderr only when the
 * client fails ({@code --debug-on-fail}, which wins when both are given).
 */
final class DebugLog {
    private final PrintStream err;
    private OutputStream sink;
    private Path file;

    DebugLog(PrintStream err) {
        this.err = err;
    }

    void open(boolean debug, boolean onFail) {
        if (debug) sink = err;
        if (onFail) {
            try {
                file = Files.createTempFile("xe_debug", "tmp");
                sink = Files.newOutputStream(file);
            } catch (IOException e) {
                file = null;
            }
        }
    }

    boolean enabled() {
        return sink != null;
    }

    void log(String text) {
        if (sink == null) return;
        try {
            sink.write(text.getBytes(StandardCharsets.UTF_8));
            sink.flush();
        } catch (IOException e) {
            // debug output is best effort
        }
    }

    /** Ends the log: the buffered debug text goes to stderr if {@code exitCode} is not 0, and the file is removed. */
    void finish(int exitCode) {
        if (file == null) return;
        try {
            sink.close();
            if (exitCode != 0) {
                err.print("\nDebug info:\n\n");
                err.write(Files.readAllBytes(file));
                err.flush();
            }
        } catch (IOException e) {
            // nothing more to show
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a temporary file left behind
            }
            sink = null;
            file = null;
        }
    }
}
