package org.xapijava.server.bootstrap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Size and use of the file system under an SR directory, measured before the start-up syncs run (the SR scan
 * of Xapi's start, simulated), so that no file system work happens between database steps.
 *
 * @param size bytes in the file system ({@code SR.physical_size})
 * @param used bytes in use ({@code SR.physical_utilisation})
 */
record Disk(long size, long used) {

    /**
     * Creates {@code dir} when missing, then measures its file system.
     *
     * @throws UncheckedIOException when the directory cannot be created or measured
     */
    static Disk measure(Path dir) {
        try {
            Files.createDirectories(dir);
            FileStore fs = Files.getFileStore(dir);
            long total = fs.getTotalSpace();
            return new Disk(total, Math.max(0, total - fs.getUnallocatedSpace()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare SR directory " + dir, e);
        }
    }
}
