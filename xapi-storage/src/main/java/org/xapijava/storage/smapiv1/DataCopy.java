package org.xapijava.storage.smapiv1;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import org.xapijava.storage.AttachInfo;
import org.xapijava.storage.SmError;
import org.xapijava.storage.Smapiv2;
import org.xapijava.storage.StorageContext;
import org.xapijava.storage.StorageException;

/** {@code DATA.copy_into} of {@link Smapiv1Storage}, through its own datapaths. Stateless. */
final class DataCopy {
    private DataCopy() {}

    /**
     * {@code DATA.copy_into} through a temporary datapath: the source attached and activated read-only, the
     * destination read-write, the bytes copied between the two {@code params} paths (the destination keeps its size
     * when the source is smaller), then the datapath destroyed. Drivers that give no {@code params} (tapdisk-backed)
     * answer {@link SmError#UNIMPLEMENTED}.
     */
    static void copyInto(Smapiv2 s, StorageContext ctx, String sr, String vdi, String destSr, String destVdi) {
        String dp = "copy/" + UUID.randomUUID();
        try {
            AttachInfo src = s.vdiAttach(ctx, dp, sr, vdi, "", false);
            s.vdiActivate(ctx, dp, sr, vdi, "", false);
            AttachInfo dst = s.vdiAttach(ctx, dp, destSr, destVdi, "", true);
            s.vdiActivate(ctx, dp, destSr, destVdi, "", true);
            if (src.path() == null || dst.path() == null) {
                throw new StorageException(SmError.UNIMPLEMENTED, "DATA.copy_into needs attach params paths");
            }
            copyBytes(src.path(), dst.path());
        } catch (RuntimeException e) {
            try {
                s.dpDestroy(ctx, dp, true);
            } catch (RuntimeException f) {
                e.addSuppressed(f);
            }
            throw e;
        }
        s.dpDestroy(ctx, dp, false);
    }

    private static void copyBytes(Path from, Path to) {
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
                FileChannel out = FileChannel.open(to, StandardOpenOption.WRITE)) {
            long pos = 0;
            long size = in.size();
            while (pos < size) pos += in.transferTo(pos, Math.min(1 << 20, size - pos), out.position(pos));
            out.force(true);
        } catch (IOException e) {
            throw new StorageException(SmError.GENERIC, "copy " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }
}
