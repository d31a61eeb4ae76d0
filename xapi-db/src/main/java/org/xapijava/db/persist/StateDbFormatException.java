package org.xapijava.db.persist;

import java.io.IOException;

/**
 * A {@code state.db} (or its {@code .generation} file) is not what Xapi writes: not XML, truncated, a
 * DOCTYPE, a missing manifest or {@code ref}, a bad number or escape, a duplicate ref. The message names
 * the file and the place (line and column, and the table and row when known).
 */
public final class StateDbFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final int column;

    public StateDbFormatException(String file, int line, int column, String problem, Throwable cause) {
        super(file + (line > 0 ? ":" + line + ":" + column : "") + ": " + problem, cause);
        this.file = file;
        this.line = line;
        this.column = column;
    }

    /** The file (or source name) that was being read. */
    public String file() {
        return file;
    }

    /** 1-based line of the problem, or -1 when not known. */
    public int line() {
        return line;
    }

    /** 1-based column of the problem, or -1 when not known. */
    public int column() {
        return column;
    }
}
