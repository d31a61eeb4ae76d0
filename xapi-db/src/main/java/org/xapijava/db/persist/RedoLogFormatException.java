package org.xapijava.db.persist;

import java.io.IOException;

/**
 * A redo log that cannot be trusted: wrong magic or format version, a corrupt record followed by good
 * ones (damage in the middle, not a torn tail), generations not strictly increasing. Names the file and
 * the byte offset. Start-up must stop rather than silently lose acknowledged commits.
 */
public final class RedoLogFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final long offset;

    public RedoLogFormatException(String file, long offset, String problem) {
        super(file + " at byte " + offset + ": " + problem);
        this.file = file;
        this.offset = offset;
    }

    public String file() {
        return file;
    }

    /** Byte offset in the file where the problem is. */
    public long offset() {
        return offset;
    }
}
