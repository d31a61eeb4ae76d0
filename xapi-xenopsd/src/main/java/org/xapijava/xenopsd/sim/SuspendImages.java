package org.xapijava.xenopsd.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.xapijava.xenopsd.XenopsError;

/**
 * The suspend image of a simulated domain: a few text lines (magic line, VM id, domid, memory) written where the
 * image goes — a {@code Local} path, or the start of a {@code VDI} reached through the storage service (see
 * {@link VbdStorage#withDisk}) — that resuming checks is a simulated image. The VM line is informative only: as a
 * Xen save image holds no xapi identity, an image moves with an exported VM that is imported under a new uuid.
 * Stateless; thread-safe.
 */
final class SuspendImages {
    private SuspendImages() {}

    private static final System.Logger LOG = System.getLogger(SuspendImages.class.getName());

    private static final String IMAGE_MAGIC = "xapi-java simulated suspend image v1";

    /**
     * Writes the image to {@code path} (null: nothing to write): a local file is replaced, a VDI's datapath (a
     * device-like file of the disk's size) written in place. {@code IO_error} when it cannot be written.
     */
    static void write(String vmId, Domain d, Path path, boolean inPlace) {
        if (path == null) return;
        byte[] text = (IMAGE_MAGIC + "\nvm=" + vmId + "\ndomid=" + d.domid() + "\nmemory=" + d.memoryDynamicMax()
                        + "\n")
                .getBytes(StandardCharsets.UTF_8);
        try {
            if (!inPlace) {
                Files.write(path, text);
                return;
            }
            try (java.nio.channels.FileChannel ch =
                    java.nio.channels.FileChannel.open(path, java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(text), 0);
                ch.force(true);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot write suspend image " + path + ": " + e);
            throw new XenopsError("IO_error", List.of());
        }
    }

    /**
     * {@code Internal_error} unless the image at {@code path} is a simulated suspend image (null: nothing to check);
     * {@code IO_error} if unreadable. Reads the first lines only (a VDI's image is followed by the rest of the disk).
     */
    static void check(String vmId, Path path) {
        if (path == null) return;
        String head;
        try (java.io.InputStream in = Files.newInputStream(path)) {
            head = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw XenopsError.internalError("suspend image " + path + " does not exist");
        } catch (IOException | RuntimeException e) {
            throw new XenopsError("IO_error", List.of());
        }
        String[] lines = head.split("\n", 3);
        if (lines.length < 2 || !lines[0].equals(IMAGE_MAGIC) || !lines[1].startsWith("vm=")) {
            throw XenopsError.internalError("suspend image " + path + " is not an image of VM " + vmId);
        }
    }
}
