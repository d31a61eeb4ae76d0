package org.xapijava.server.transfer;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a disk from a file (an attached datapath, or a raw image read directly) block by block. A block that lies wholly in a hole of the file
 * (never written: {@code lseek(2)} {@code SEEK_DATA}/{@code SEEK_HOLE}, which regular files and the storage
 * drivers' FUSE datapaths answer) is given as zeros without being read, so that the unwritten part of a disk costs
 * a system call per data extent instead of a read through the datapath. Where the file cannot tell, every block is
 * read. Not thread-safe: one per transfer.
 */
final class FileDiskReader implements DiskReader {
    private static final Logger LOG = LoggerFactory.getLogger(FileDiskReader.class);

    /**
     * The libc calls used to find holes (JNA: the JDK's channels have no {@code SEEK_DATA}) and, for {@link
     * Qcow2Chain}, to take and test QEMU's image locks (open file description locks, which the JDK does not offer).
     */
    interface LibC extends Library {
        int open(String path, int flags);

        /** errno comes with the exception (JNA reads it on the same thread as the call). */
        long lseek(int fd, long offset, int whence) throws LastErrorException;

        int fcntl(int fd, int cmd, com.sun.jna.Pointer arg) throws LastErrorException;

        int close(int fd);
    }

    private static final int O_RDONLY = 0;
    private static final int SEEK_DATA = 3;
    private static final int ENXIO = 6;
    static final LibC C = load();

    private static LibC load() {
        try {
            return Native.load("c", LibC.class);
        } catch (UnsatisfiedLinkError e) {
            LOG.warn("no libc through JNA: disks are read whole ({})", e.toString());
            return null;
        }
    }

    private final FileChannel in;
    /** A descriptor for {@code lseek}, or -1: every block is read. */
    private int fd;
    /** Known: no data in [{@link #from}, {@link #dataAt}). */
    private long from = -1;

    private long dataAt = -1;

    private FileDiskReader(FileChannel in, int fd) {
        this.in = in;
        this.fd = fd;
    }

    /** The disk at {@code path}, holes told apart where the file can. */
    static FileDiskReader open(Path path) throws IOException {
        FileChannel in = FileChannel.open(path, StandardOpenOption.READ);
        int fd = C == null ? -1 : C.open(path.toString(), O_RDONLY);
        return new FileDiskReader(in, fd);
    }

    /** The next offset at or after {@code at} holding data; {@code end} when none; {@code at} when unknown. */
    private long nextData(long at, long end) {
        if (fd < 0) return at;
        if (at >= from && at < dataAt) return dataAt;
        long d;
        try {
            d = C.lseek(fd, at, SEEK_DATA);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ENXIO) d = end; // no data from here to the end of the file
            else {
                LOG.debug("SEEK_DATA unsupported (errno {}): the disk is read whole", e.getErrorCode());
                C.close(fd);
                fd = -1;
                return at;
            }
        }
        from = at;
        dataAt = Math.max(d, at);
        return dataAt;
    }

    /** {@inheritDoc} A hole of the file ({@code SEEK_DATA}); unknown where the file cannot tell. */
    @Override
    public boolean knownZero(long at, long len) {
        return len > 0 && fd >= 0 && nextData(at, Long.MAX_VALUE) >= at + len;
    }

    /** {@inheritDoc} Past the file's end (a driver's file may be shorter than the disk) reads as zeros. */
    @Override
    public int read(long at, long size, byte[] buf) throws IOException {
        Arrays.fill(buf, (byte) 0);
        int want = (int) Math.max(0, Math.min(buf.length, size - at));
        if (want == 0 || nextData(at, Long.MAX_VALUE) >= at + want) return want; // a hole: zeros
        ByteBuffer b = ByteBuffer.wrap(buf, 0, want);
        for (long pos = at; b.hasRemaining(); ) {
            int n = in.read(b, pos);
            if (n <= 0) break;
            pos += n;
        }
        return want;
    }

    @Override
    public int read(long at, long size, ByteBuffer buf) throws IOException {
        int want = (int) Math.max(0, Math.min(buf.capacity(), size - at));
        int got = 0;
        if (want > 0 && nextData(at, Long.MAX_VALUE) < at + want) {
            ByteBuffer b = buf.slice(0, want);
            for (long pos = at; b.hasRemaining(); ) {
                int n = in.read(b, pos);
                if (n <= 0) break;
                pos += n;
            }
            got = b.position();
        }
        DiskReader.zero(buf, got, buf.capacity() - got); // a hole, past the file's end, past the disk's end
        return want;
    }

    @Override
    public void close() throws IOException {
        if (fd >= 0) C.close(fd);
        fd = -1;
        in.close();
    }
}
