package org.xapijava.server.blob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobStoreTest {
    @TempDir
    Path dir;

    @Test
    void anUploadReplacesTheDataWholeOrNotAtAllAndOpeningRemovesCutUploads() throws Exception {
        Path blobs = dir.resolve("blobs");
        String uuid = UUID.randomUUID().toString();
        BlobStore s = BlobStore.open(blobs, 1024);
        assertEquals(3, s.store(uuid, new ByteArrayInputStream(new byte[] {1, 2, 3}), 3));
        assertThrows(EOFException.class, () -> s.store(uuid, new ByteArrayInputStream(new byte[] {9}), 2));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(s.file(uuid)), "a cut upload changes nothing");
        assertEquals(List.of(blobs.resolve(uuid)), list(blobs), "and leaves no part file");

        Path crashed = Files.writeString(blobs.resolve("." + uuid + ".part-" + UUID.randomUUID()), "half");
        BlobStore.open(blobs, 1024);
        assertFalse(Files.exists(crashed), "an upload a crash cut short is removed at open");
        assertTrue(Files.exists(blobs.resolve(uuid)));
    }

    private static List<Path> list(Path d) throws Exception {
        try (var s = Files.list(d)) {
            return s.sorted().toList();
        }
    }
}
