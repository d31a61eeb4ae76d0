package org.xapijava.db.persist;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Files as a writer without the value checks (an older version, another tool) could leave them: a redo log whose
 * batches hold strings the database refuses. For the recovery tests.
 */
public final class DamagedFiles {
    private DamagedFiles() {}

    /** Writes a redo log holding {@code batches} in one group, without {@link RedoLog#append}'s check. */
    public static void writeRedoLogUnchecked(Path file, DeltaBatch... batches) throws IOException {
        RedoLogCodec.Encoder enc = new RedoLogCodec.Encoder();
        enc.clear();
        int last = -1;
        for (DeltaBatch b : batches) last = enc.record(b, 0, false);
        enc.markEndOfGroup(last);
        try (FileChannel ch = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer h = RedoLogCodec.header(0);
            while (h.hasRemaining()) ch.write(h);
            ByteBuffer body = enc.flip();
            while (body.hasRemaining()) ch.write(body);
        }
    }
}
