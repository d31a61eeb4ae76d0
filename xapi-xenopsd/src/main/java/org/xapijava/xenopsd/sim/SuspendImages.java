package org.xapijava.xenopsd.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.XenopsError;

/**
 * The suspend image of a simulated domain: suspending to a {@code Local path} writes a small text file there
 * (magic line, VM id, domid, memory) that resuming checks names the VM; suspending to a {@code VDI} writes
 * nothing (the domain's record of the disk is the image). Stateless; thread-safe.
 */
final class SuspendImages {
    private SuspendImages() {}

    private static final System.Logger LOG = System.getLogger(SuspendImages.class.getName());

    private static final String IMAGE_MAGIC = "xapi-java simulated suspend image v1";

    /** {@code IO_error} when the file cannot be written. */
    static void write(String vmId, Domain d, Disk disk) {
        if (!(disk instanceof Disk.Local l)) return;
        String text = IMAGE_MAGIC + "\nvm=" + vmId + "\ndomid=" + d.domid() + "\nmemory=" + d.memoryDynamicMax() + "\n";
        try {
            Files.writeString(Path.of(l.path()), text, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot write suspend image " + l.path() + ": " + e);
            throw new XenopsError("IO_error", List.of());
        }
    }

    /** {@code Internal_error} unless a local image exists and names the VM; {@code IO_error} if unreadable. */
    static void check(String vmId, Disk disk) {
        if (!(disk instanceof Disk.Local l)) return;
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of(l.path()), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw XenopsError.internalError("suspend image " + l.path() + " does not exist");
        } catch (IOException | RuntimeException e) {
            throw new XenopsError("IO_error", List.of());
        }
        if (lines.size() < 2
                || !lines.get(0).equals(IMAGE_MAGIC)
                || !lines.get(1).equals("vm=" + vmId)) {
            throw XenopsError.internalError("suspend image " + l.path() + " is not an image of VM " + vmId);
        }
    }
}
