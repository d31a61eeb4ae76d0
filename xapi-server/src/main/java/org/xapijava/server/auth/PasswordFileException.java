package org.xapijava.server.auth;

import java.io.IOException;
import java.nio.file.Path;

/** A password file that cannot be used as it is; the message names the file and the line. */
public final class PasswordFileException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final int line;

    PasswordFileException(Path file, int line, String problem) {
        super(file + ":" + line + ": " + problem);
        this.file = file;
        this.line = line;
    }

    /** The password file. */
    public Path file() {
        return file;
    }

    /** The 1-based line at fault. */
    public int line() {
        return line;
    }
}
