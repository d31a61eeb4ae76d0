package org.xapijava.server.storage;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.xapijava.server.XapiServer;

/**
 * Tests' way to a VDI's bytes: through its datapath on the host (attached and activated by the SR's driver, then
 * released), as a dom0 tool reads and writes a disk. For the file driver the path is the disk's raw view.
 */
public final class VdiData {
    private VdiData() {}

    public static void write(XapiServer host, String vdi, long offset, String text) throws IOException {
        StorageBackends b = host.storageBackends();
        Path p = b.attach(vdi, true);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.seek(offset);
            raf.write(text.getBytes(StandardCharsets.US_ASCII));
        } finally {
            b.detach(vdi);
        }
    }

    public static String read(XapiServer host, String vdi, long offset, int len) throws IOException {
        byte[] bytes = new byte[len];
        StorageBackends b = host.storageBackends();
        Path p = b.attach(vdi, false);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "r")) {
            raf.seek(offset);
            raf.readFully(bytes);
        } finally {
            b.detach(vdi);
        }
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    /** The file driver's image of a VDI in its SR directory. */
    public static Path image(Path srDir, String location) {
        return srDir.resolve(location + ".qcow2");
    }
}
