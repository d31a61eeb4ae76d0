package org.xapijava.db;

import java.io.IOException;
import org.xapijava.db.persist.DbImage;

/**
 * Writes a whole database image durably (the {@code state.db} writer: temp file, fsync, rename,
 * {@code .generation}). Called by the {@link FlushScheduler} off the write path, one call at a time.
 */
@FunctionalInterface
public interface SnapshotWriter {
    void write(DbImage image) throws IOException;
}
