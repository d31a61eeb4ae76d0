package org.xapijava.server.transfer;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A qcow2 image and its backing chain read as the raw disk they show, without a datapath: the format of QEMU's
 * {@code docs/interop/qcow2.txt} (versions 2 and 3, zlib-compressed clusters, the v3 "all zeros" flag; a raw image
 * may end the chain), each cluster taken from the first image of the chain that has it, zeros where none has.
 * Unwritten clusters cost no read at all.
 *
 * <p>Only images that cannot change under the reader are read. At {@link #open} each file of the chain gets QEMU's
 * own image locks as a reader ({@code qemu-img} without {@code -U} takes the same: shared open file description
 * locks on byte 100, "consistent read", and 201, "write not shared"), and is refused when a process holds 101
 * ("write": a read-write {@code qemu-storage-daemon} of a datapath, a {@code qemu-img commit} of the garbage
 * collector). Held until {@link #close}, the 201 lock makes any QEMU process that would then open a file of the chain
 * for writing fail. Refused too, with {@link Unsupported} (the caller then reads through a datapath): encryption, an
 * external data file, extended L2 entries, a compression other than zlib, the dirty or corrupt bits, unknown
 * incompatible features, a backing file outside the leaf's directory, a chain longer than {@link #MAX_DEPTH}.
 * Not thread-safe: one per transfer.
 */
final class Qcow2Chain implements DiskReader {
    /** Why an image is not read here (the caller falls back to a datapath). */
    static final class Unsupported extends IOException {
        private static final long serialVersionUID = 1L;

        Unsupported(String message) {
            super(message);
        }
    }

    /** Deeper than any chain the file drivers make (each snapshot adds one node until the GC coalesces). */
    static final int MAX_DEPTH = 1000;

    private static final int MAGIC = 0x514649fb;
    private static final long OFFSET_MASK = 0x00fffffffffffe00L;
    private static final long COMPRESSED = 1L << 62;
    private static final long ZERO_FLAG = 1L;
    private static final int EXT_BACKING_FORMAT = 0xE2792ACA;
    private static final int EXT_DATA_FILE = 0x44415441;
    /** Incompatible feature bits: dirty, corrupt, external data file, compression type, extended L2. */
    private static final long DIRTY = 1, CORRUPT = 2, DATA_FILE = 4, COMPRESSION_TYPE = 8;

    private final List<Image> images;

    private Qcow2Chain(List<Image> images) {
        this.images = images;
    }

    /**
     * The chain whose leaf is {@code leaf} (a qcow2 image), locked as a reader.
     *
     * @throws Unsupported as the class says (nothing stays open)
     * @throws IOException a file that cannot be read
     */
    static Qcow2Chain open(Path leaf) throws IOException {
        List<Image> chain = new ArrayList<>();
        try {
            Path dir = leaf.toAbsolutePath().getParent();
            Path file = leaf;
            String format = "qcow2";
            while (file != null) {
                if (chain.size() >= MAX_DEPTH) throw new Unsupported("chain longer than " + MAX_DEPTH);
                Image image = new Image(file, format);
                chain.add(image);
                image.lock();
                if (image.raw) break;
                image.header();
                if (image.backingName == null) break;
                Path next = dir.resolve(image.backingName).normalize();
                if (!dir.equals(next.getParent())) throw new Unsupported("backing file outside the SR: " + next);
                for (Image seen : chain) if (seen.path.equals(next)) throw new Unsupported("backing loop at " + next);
                file = next;
                format = image.backingFormat;
            }
            return new Qcow2Chain(chain);
        } catch (IOException | RuntimeException e) {
            for (Image i : chain) i.close();
            throw e;
        }
    }

    /** The number of images (the leaf and its backing files). */
    int depth() {
        return images.size();
    }

    @Override
    public int read(long at, long size, byte[] buf) throws IOException {
        return read(at, size, ByteBuffer.wrap(buf));
    }

    /** {@inheritDoc} Into a direct buffer, the image's bytes are copied once (no heap buffer in between). */
    @Override
    public int read(long at, long size, ByteBuffer buf) throws IOException {
        int want = (int) Math.max(0, Math.min(buf.capacity(), size - at));
        if (want > 0) readAt(0, at, buf, 0, want);
        DiskReader.zero(buf, want, buf.capacity() - want);
        return want;
    }

    /** {@inheritDoc} Unallocated in every image of the chain, or marked zero; a raw image's bytes are read. */
    @Override
    public boolean knownZero(long at, long len) throws IOException {
        return len > 0 && zeroAt(0, at, len);
    }

    /** Whether the disk's {@code len} bytes from {@code at}, as image {@code i} of the chain shows them, are zeros. */
    private boolean zeroAt(int i, long at, long len) throws IOException {
        Image image = images.get(i);
        if (image.raw) return false;
        for (long done = 0; done < len; ) {
            long pos = at + done;
            if (pos >= image.size) return true; // past this image's end: zeros
            long n = Math.min(len - done, image.clusterSize - (pos & (image.clusterSize - 1)));
            long entry = image.l2Entry(pos);
            if ((entry & COMPRESSED) != 0) return false;
            if ((entry & ZERO_FLAG) == 0) {
                if ((entry & OFFSET_MASK) != 0) return false;
                if (i + 1 < images.size() && !zeroAt(i + 1, pos, n)) return false;
            }
            done += n;
        }
        return true;
    }

    /** Every one of {@code len} bytes of the disk as image {@code i} of the chain shows them, into {@code buf}. */
    private void readAt(int i, long at, ByteBuffer buf, int off, int len) throws IOException {
        Image image = images.get(i);
        if (image.raw) {
            int n = image.readRaw(at, buf, off, len);
            DiskReader.zero(buf, off + n, len - n); // past the raw file's end
            return;
        }
        int done = 0;
        while (done < len) {
            long pos = at + done;
            if (pos >= image.size) { // past this image's end (a backing file smaller than its child): zeros
                DiskReader.zero(buf, off + done, len - done);
                return;
            }
            int inCluster = (int) (pos & (image.clusterSize - 1));
            int n = (int) Math.min(Math.min(len - done, image.clusterSize - inCluster), image.size - pos);
            long entry = image.l2Entry(pos);
            if ((entry & COMPRESSED) != 0) {
                buf.put(off + done, image.compressedCluster(entry), inCluster, n);
            } else if ((entry & OFFSET_MASK) != 0 && (entry & ZERO_FLAG) == 0) {
                image.readFully((entry & OFFSET_MASK) + inCluster, buf.slice(off + done, n));
            } else if ((entry & ZERO_FLAG) == 0 && i + 1 < images.size()) {
                readAt(i + 1, pos, buf, off + done, n); // unallocated here: the backing file's
            } else {
                DiskReader.zero(buf, off + done, n);
            }
            done += n;
        }
    }

    @Override
    public void close() {
        for (Image i : images) i.close();
    }

    /** One file of the chain. */
    private static final class Image {
        final Path path;
        final boolean raw;
        final FileChannel ch;
        /** A descriptor of its own holding the locks (closing it drops them), or -1 without libc. */
        int lockFd = -1;

        long size;
        int clusterBits;
        int clusterSize;
        long[] l1;
        String backingName;
        String backingFormat;
        /** The last L2 table read, and its offset in the file. */
        long l2Offset = -1;

        long[] l2;
        /** The last compressed cluster inflated, by its entry. */
        long compressedEntry = -1;

        byte[] compressed;

        Image(Path path, String format) throws IOException {
            this.path = path;
            this.raw = "raw".equals(format);
            this.ch = FileChannel.open(path, StandardOpenOption.READ);
        }

        /** QEMU's reader locks (bytes 100 and 201); refused when a writer holds byte 101. */
        void lock() throws IOException {
            FileDiskReader.LibC c = FileDiskReader.C;
            if (c == null) throw new Unsupported("no libc: the image locks cannot be taken");
            lockFd = c.open(path.toString(), 0);
            if (lockFd < 0) throw new IOException("cannot open " + path);
            Memory flock = new Memory(32);
            try {
                ofd(c, flock, F_OFD_SETLK, F_RDLCK, 100);
                ofd(c, flock, F_OFD_SETLK, F_RDLCK, 201);
                ofd(c, flock, F_OFD_GETLK, F_WRLCK, 101);
            } catch (LastErrorException e) {
                throw new Unsupported(
                        path.getFileName() + " is locked by another process (errno " + e.getErrorCode() + ")");
            }
            if (flock.getShort(0) != F_UNLCK) throw new Unsupported(path.getFileName() + " is open for writing");
        }

        void header() throws IOException {
            ByteBuffer h = ByteBuffer.allocate(112);
            readFully(0, h.array(), 0, (int) Math.min(112, ch.size()));
            if (h.getInt(0) != MAGIC) throw new Unsupported(path.getFileName() + " is not a qcow2 image");
            int version = h.getInt(4);
            if (version != 2 && version != 3) throw new Unsupported("qcow2 version " + version);
            long backingOffset = h.getLong(8);
            int backingSize = h.getInt(16);
            clusterBits = h.getInt(20);
            if (clusterBits < 9 || clusterBits > 21) throw new IOException("bad cluster_bits " + clusterBits);
            clusterSize = 1 << clusterBits;
            size = h.getLong(24);
            if (h.getInt(32) != 0) throw new Unsupported("encrypted image");
            int l1Size = h.getInt(36);
            long l1Offset = h.getLong(40);
            int headerLength = 72;
            if (version == 3) {
                long incompatible = h.getLong(72);
                headerLength = h.getInt(100);
                int compressionType = headerLength > 104 ? h.get(104) : 0;
                if ((incompatible & ~COMPRESSION_TYPE) != 0 || compressionType != 0)
                    throw new Unsupported("incompatible features " + incompatible
                            + ((incompatible & (DIRTY | CORRUPT | DATA_FILE)) != 0
                                    ? " (dirty, corrupt or data file)"
                                    : "")
                            + ", compression type " + compressionType);
            }
            long entries = (size + ((long) clusterSize << (clusterBits - 3)) - 1) >> (2 * clusterBits - 3);
            if (l1Size < entries || l1Size > (1 << 25)) throw new IOException("bad l1_size " + l1Size);
            ByteBuffer l1b = ByteBuffer.allocate(l1Size * 8);
            readFully(l1Offset, l1b.array(), 0, l1Size * 8);
            l1 = new long[l1Size];
            l1b.asLongBuffer().get(l1);
            extensions(headerLength);
            if (backingOffset != 0 && backingSize > 0) {
                if (backingSize > 1023) throw new IOException("backing file name too long");
                byte[] name = new byte[backingSize];
                readFully(backingOffset, name, 0, backingSize);
                backingName = new String(name, StandardCharsets.UTF_8);
                if (backingFormat == null) backingFormat = probe(path.resolveSibling(backingName));
                if (!backingFormat.equals("qcow2") && !backingFormat.equals("raw"))
                    throw new Unsupported("backing format " + backingFormat);
            }
        }

        /** The header extensions from {@code at}: the backing format, and no external data file. */
        private void extensions(int at) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(8);
            for (long pos = at; pos + 8 <= clusterSize; ) {
                readFully(pos, b.array(), 0, 8);
                int type = b.getInt(0);
                int len = b.getInt(4);
                if (type == 0) return;
                if (len < 0 || pos + 8 + len > clusterSize) throw new IOException("bad header extension");
                if (type == EXT_DATA_FILE) throw new Unsupported("external data file");
                if (type == EXT_BACKING_FORMAT) {
                    byte[] f = new byte[len];
                    readFully(pos + 8, f, 0, len);
                    backingFormat = new String(f, StandardCharsets.UTF_8);
                }
                pos += 8 + ((len + 7L) & ~7L);
            }
        }

        private static String probe(Path file) throws IOException {
            if (!Files.isRegularFile(file)) throw new IOException("backing file " + file + " missing");
            try (FileChannel f = FileChannel.open(file, StandardOpenOption.READ)) {
                ByteBuffer m = ByteBuffer.allocate(4);
                f.read(m, 0);
                return m.getInt(0) == MAGIC && !m.hasRemaining() ? "qcow2" : "raw";
            }
        }

        /** The L2 entry of the cluster at {@code pos} (0: unallocated). */
        long l2Entry(long pos) throws IOException {
            int l2Bits = clusterBits - 3;
            long index = pos >>> (clusterBits + l2Bits);
            if (index >= l1.length) return 0;
            long table = l1[(int) index] & OFFSET_MASK;
            if (table == 0) return 0;
            if (table != l2Offset) {
                ByteBuffer b = ByteBuffer.allocate(clusterSize).order(ByteOrder.BIG_ENDIAN);
                readFully(table, b.array(), 0, clusterSize);
                if (l2 == null) l2 = new long[clusterSize / 8];
                b.asLongBuffer().get(l2);
                l2Offset = table;
            }
            return l2[(int) ((pos >>> clusterBits) & ((1 << l2Bits) - 1))];
        }

        /** The cluster a compressed entry holds, inflated (zlib's raw deflate, as QEMU writes it). */
        byte[] compressedCluster(long entry) throws IOException {
            if (entry == compressedEntry) return compressed;
            int x = 62 - (clusterBits - 8);
            long offset = entry & ((1L << x) - 1);
            long sectors = ((entry >>> x) & ((1L << (clusterBits - 8)) - 1)) + 1;
            long end = Math.min(ch.size(), (offset & ~511L) + sectors * 512);
            int n = (int) Math.max(0, end - offset);
            byte[] in = new byte[n];
            readFully(offset, in, 0, n);
            byte[] out = new byte[clusterSize];
            Inflater inf = new Inflater(true);
            try {
                inf.setInput(in);
                int got = 0;
                while (got < clusterSize && !inf.finished()) {
                    int k = inf.inflate(out, got, clusterSize - got);
                    if (k == 0 && (inf.needsInput() || inf.needsDictionary())) break;
                    got += k;
                }
                if (got != clusterSize) throw new IOException("compressed cluster at " + offset + " is short");
            } catch (DataFormatException e) {
                throw new IOException("compressed cluster at " + offset + ": " + e.getMessage(), e);
            } finally {
                inf.end();
            }
            compressedEntry = entry;
            compressed = out;
            return out;
        }

        /** A raw image's bytes, as many as it has there (its length may not be the disk's): their count. */
        int readRaw(long at, ByteBuffer buf, int off, int len) throws IOException {
            long end = ch.size();
            if (at >= end) return 0;
            int n = (int) Math.min(len, end - at);
            readFully(at, buf.slice(off, n));
            return n;
        }

        /** Exactly {@code len} bytes at {@code at} (a qcow2 structure or cluster must be whole). */
        void readFully(long at, byte[] buf, int off, int len) throws IOException {
            readFully(at, ByteBuffer.wrap(buf, off, len));
        }

        /** Exactly the remaining bytes of {@code b} from {@code at}. */
        void readFully(long at, ByteBuffer b) throws IOException {
            for (long pos = at; b.hasRemaining(); ) {
                int n = ch.read(b, pos);
                if (n < 0) {
                    if (raw) { // a raw file shortened meanwhile: zeros past its end
                        while (b.hasRemaining()) b.put((byte) 0);
                        return;
                    }
                    throw new IOException(path.getFileName() + ": short read at " + pos);
                }
                pos += n;
            }
        }

        void close() {
            try {
                ch.close();
            } catch (IOException e) {
                // read-only: nothing lost
            }
            if (lockFd >= 0) FileDiskReader.C.close(lockFd);
            lockFd = -1;
        }

        private static final int F_OFD_GETLK = 36;
        private static final int F_OFD_SETLK = 37;
        private static final short F_RDLCK = 0;
        private static final short F_WRLCK = 1;
        private static final short F_UNLCK = 2;

        /** {@code fcntl(cmd)} with a {@code struct flock} (Linux x86_64 and aarch64 layout) for one byte. */
        private void ofd(FileDiskReader.LibC c, Memory flock, int cmd, short type, long at) {
            flock.clear();
            flock.setShort(0, type); // l_type
            flock.setShort(2, (short) 0); // l_whence SEEK_SET
            flock.setLong(8, at); // l_start
            flock.setLong(16, 1); // l_len
            c.fcntl(lockFd, cmd, flock);
        }
    }
}
