package org.xapijava.server.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.BitSet;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;

/**
 * A disk as a qcow2 stream, the {@code qcow2} format of {@code /export_raw_vdi} and {@code /import_raw_vdi} (Xapi runs
 * qemu's {@code qcow2-to-stdout.py} out and Vates' {@code qcow-stream-tool stream_decode} in).
 *
 * <p>Out: a version 3 image of 64 KiB clusters and 16-bit refcounts in the order a reader can take it without seeking
 * back, as {@code qcow2-to-stdout.py} lays it out: the header cluster, the refcount table and blocks, the L1 table,
 * the L2 tables, then the clusters holding data in the disk's order (a cluster of zeros is left out). Two passes over
 * the disk: one to find the clusters, one to send them. With a base, only the clusters that differ from it.
 *
 * <p>In: a version 2 or 3 image without backing file, encryption, compression or extended L2 entries (anything else
 * is {@code VDI_IO_ERROR}, as when the tool cannot read it), read in one forward pass: the L1 table, each L2 table and
 * each data cluster must come after what points at it, which holds for images that {@code qcow2-to-stdout.py} and
 * {@code qemu-img convert} write. Clusters whose data is still to come are remembered as one {@code long} each, at
 * most {@link #MAX_PENDING} (512 GiB of data in 64 KiB clusters). Stateless.
 */
final class Qcow2Streams {
    private static final Logger LOG = LoggerFactory.getLogger(Qcow2Streams.class);

    static final int MAGIC = 0x514649fb;
    static final int CLUSTER_BITS = 16;
    static final int CLUSTER = 1 << CLUSTER_BITS;
    static final int HEADER_LENGTH = 104;
    static final int REFCOUNT_ORDER = 4;
    static final long COPIED = 1L << 63;
    static final long COMPRESSED = 1L << 62;
    static final long OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    /** The incompatible feature bit a reader may ignore: the image was not closed cleanly (refcounts only). */
    static final long DIRTY = 1;

    static final int MAX_PENDING = 1 << 23;

    private Qcow2Streams() {}

    // ------------------------------------------------------------------------------------------------ out

    /**
     * Writes the {@code size} bytes of {@code in} as a qcow2 stream: without {@code base}, of its clusters that are
     * not all zeros; with it (the disk {@code in} was made from), of those whose content differs from the base's
     * ({@code qcow2-to-stdout.py --diff}), to be imported onto a clone of the base.
     */
    static void write(DiskReader in, DiskReader base, OutputStream out, long size, RawVdiTransfer.Progress progress)
            throws IOException {
        long clusters = (size + CLUSTER - 1) / CLUSTER;
        if (clusters > Integer.MAX_VALUE) throw ApiError.internal("disk too large for a qcow2 stream: " + size);
        int l2Entries = CLUSTER / 8;
        byte[] buf = new byte[CLUSTER];
        byte[] old = base == null ? null : new byte[CLUSTER];
        BitSet used = new BitSet((int) clusters);
        for (int i = 0; i < clusters; i++) {
            progress.check();
            long at = (long) i * CLUSTER;
            if (DiskReader.knownZero(in, base, at, CLUSTER)) {
                progress.at(at / 2); // a hole (in both): neither read nor scanned
                continue;
            }
            int n = read(in, i, size, buf);
            if (base != null) read(base, i, size, old);
            if (base == null ? !DiskWriter.allZero(buf, 0, n) : !Arrays.equals(buf, old)) used.set(i);
            progress.at((long) i * CLUSTER / 2);
        }
        int l1Size = (int) ((clusters + l2Entries - 1) / l2Entries);
        BitSet tables = new BitSet(l1Size);
        for (int i = used.nextSetBit(0); i >= 0; i = used.nextSetBit(i + 1)) tables.set(i / l2Entries);
        long l1Clusters = ((long) l1Size * 8 + CLUSTER - 1) / CLUSTER;
        long fixed = 1 + l1Clusters + tables.cardinality() + used.cardinality();
        long perBlock = (long) CLUSTER * 8 / (1 << REFCOUNT_ORDER);
        long blocks = 1;
        long tableClusters = 1;
        while (true) {
            long total = fixed + blocks + tableClusters;
            long b = (total + perBlock - 1) / perBlock;
            long t = (b * 8 + CLUSTER - 1) / CLUSTER;
            if (b == blocks && t == tableClusters) break;
            blocks = b;
            tableClusters = t;
        }
        long total = fixed + blocks + tableClusters;
        long refTable = 1;
        long refBlocks = refTable + tableClusters;
        long l1 = refBlocks + blocks;
        long l2 = l1 + l1Clusters;
        long data = l2 + tables.cardinality();

        ByteBuffer h = ByteBuffer.allocate(CLUSTER);
        h.putInt(MAGIC)
                .putInt(3)
                .putLong(0)
                .putInt(0)
                .putInt(CLUSTER_BITS)
                .putLong(size)
                .putInt(0);
        h.putInt(l1Size).putLong(l1 * CLUSTER).putLong(refTable * CLUSTER).putInt((int) tableClusters);
        h.putInt(0)
                .putLong(0)
                .putLong(0)
                .putLong(0)
                .putLong(0)
                .putInt(REFCOUNT_ORDER)
                .putInt(HEADER_LENGTH);
        out.write(h.array()); // the header extensions end at once (type 0, length 0: the zeros that follow)

        ByteBuffer table = ByteBuffer.allocate((int) (tableClusters * CLUSTER));
        for (long i = 0; i < blocks; i++) table.putLong((refBlocks + i) * CLUSTER);
        out.write(table.array());
        ByteBuffer block = ByteBuffer.allocate(CLUSTER);
        for (long i = 0; i < blocks; i++) {
            block.clear();
            Arrays.fill(block.array(), (byte) 0);
            for (long c = i * perBlock; c < Math.min(total, (i + 1) * perBlock); c++) block.putShort((short) 1);
            out.write(block.array());
        }
        ByteBuffer l1Table = ByteBuffer.allocate((int) (l1Clusters * CLUSTER));
        long next = l2;
        for (int j = 0; j < l1Size; j++) l1Table.putLong(tables.get(j) ? (next++ * CLUSTER) | COPIED : 0);
        out.write(l1Table.array());
        next = data;
        ByteBuffer l2Table = ByteBuffer.allocate(CLUSTER);
        for (int j = tables.nextSetBit(0); j >= 0; j = tables.nextSetBit(j + 1)) {
            l2Table.clear();
            for (int k = 0; k < l2Entries; k++) {
                long i = (long) j * l2Entries + k;
                l2Table.putLong(i < clusters && used.get((int) i) ? (next++ * CLUSTER) | COPIED : 0);
            }
            out.write(l2Table.array());
        }
        for (int i = used.nextSetBit(0); i >= 0; i = used.nextSetBit(i + 1)) {
            progress.check();
            read(in, i, size, buf);
            out.write(buf);
            progress.at(size / 2 + (long) i * CLUSTER / 2);
        }
    }

    /** Cluster {@code i} of the disk into {@code buf}, zeros past its end; the bytes that are the disk's. */
    private static int read(DiskReader in, long i, long size, byte[] buf) throws IOException {
        return in.read(i * CLUSTER, size, buf);
    }

    // ------------------------------------------------------------------------------------------------ in

    static void read(InputStream in, DiskWriter w, RawVdiTransfer.Progress progress) throws IOException {
        ForwardStream s = new ForwardStream(in, Qcow2Streams::bad);
        ByteBuffer h = ByteBuffer.wrap(s.read(HEADER_LENGTH));
        if (h.getInt(0) != MAGIC) throw bad("no qcow2 magic");
        int version = h.getInt(4);
        if (version != 2 && version != 3) throw bad("qcow2 version " + version);
        if (h.getLong(8) != 0) throw bad("a qcow2 image with a backing file");
        int clusterBits = h.getInt(20);
        if (clusterBits < 9 || clusterBits > 21) throw bad("qcow2 cluster bits " + clusterBits);
        int cluster = 1 << clusterBits;
        long size = h.getLong(24);
        if (size < 0 || size > w.size()) throw bad("a qcow2 image of " + size + " bytes for a disk of " + w.size());
        if (h.getInt(32) != 0) throw bad("an encrypted qcow2 image");
        if (version == 3 && (h.getLong(72) & ~DIRTY) != 0) throw bad("qcow2 incompatible features " + h.getLong(72));
        int l2Entries = cluster / 8;
        long clusters = (size + cluster - 1) / cluster;
        long l1Needed = (clusters + l2Entries - 1) / l2Entries;
        long l1Size = Integer.toUnsignedLong(h.getInt(36));
        if (l1Size > l1Needed + 1) throw bad("an L1 table of " + l1Size + " entries for " + size + " bytes");
        int guestBits = 64 - Long.numberOfLeadingZeros(Math.max(1, clusters));
        Pending pending = new Pending(guestBits, clusterBits);
        TreeMap<Long, Integer> l2Tables = new TreeMap<>();
        long l1Offset = h.getLong(40);
        if (l1Size > 0) {
            s.skipTo(l1Offset);
            ByteBuffer l1 = ByteBuffer.wrap(s.read((int) (l1Size * 8)));
            for (int j = 0; j < l1Size; j++) {
                long off = l1.getLong() & OFFSET_MASK;
                if (off != 0 && j < l1Needed) l2Tables.put(off, j);
            }
        }
        byte[] buf = new byte[cluster];
        long done = 0;
        while (!l2Tables.isEmpty() || !pending.isEmpty()) {
            progress.check();
            long nextTable = l2Tables.isEmpty() ? Long.MAX_VALUE : l2Tables.firstKey();
            if (!pending.isEmpty() && pending.nextOffset() < nextTable) {
                long guest = pending.nextGuest();
                s.skipTo(pending.nextOffset());
                pending.pop();
                s.readFully(buf);
                long at = guest * cluster;
                w.write(at, buf, 0, (int) Math.min(cluster, size - at));
                done += cluster;
                progress.at(done);
                continue;
            }
            int j = l2Tables.remove(nextTable);
            s.skipTo(nextTable);
            ByteBuffer l2 = ByteBuffer.wrap(s.read(cluster));
            for (int k = 0; k < l2Entries; k++) {
                long e = l2.getLong();
                long guest = (long) j * l2Entries + k;
                if (e == 0 || guest >= clusters) continue;
                if ((e & COMPRESSED) != 0) throw bad("a compressed qcow2 cluster");
                long off = e & OFFSET_MASK;
                if (version == 3 && (e & 1) != 0) {
                    w.zeros(guest * cluster, Math.min(cluster, size - guest * cluster));
                } else if (off != 0) {
                    if (off < s.position()) throw bad("a data cluster at " + off + " before its L2 table");
                    pending.add(off, guest);
                }
            }
        }
    }

    /**
     * The data clusters still to come, each {@code offset / cluster} and its cluster number in the disk packed in
     * one {@code long}, taken in file order (sorted again only when a table adds clusters out of order).
     */
    private static final class Pending {
        private final int guestBits;
        private final int clusterBits;
        private long[] keys = new long[1024];
        private int head;
        private int tail;
        private boolean sorted = true;

        Pending(int guestBits, int clusterBits) {
            this.guestBits = guestBits;
            this.clusterBits = clusterBits;
        }

        void add(long offset, long guest) {
            long c = offset >>> clusterBits;
            if (64 - Long.numberOfLeadingZeros(c) + guestBits > 63) throw bad("a qcow2 offset too large: " + offset);
            long key = c << guestBits | guest;
            if (tail - head >= MAX_PENDING) throw bad("more than " + MAX_PENDING + " qcow2 clusters ahead");
            if (tail == keys.length) {
                keys = head > keys.length / 2
                        ? Arrays.copyOfRange(keys, head, keys.length + head)
                        : Arrays.copyOf(keys, keys.length * 2);
                tail -= head;
                head = 0;
            }
            if (tail > head && key < keys[tail - 1]) sorted = false;
            keys[tail++] = key;
        }

        boolean isEmpty() {
            return head == tail;
        }

        private long first() {
            if (!sorted) {
                Arrays.sort(keys, head, tail);
                sorted = true;
            }
            return keys[head];
        }

        long nextOffset() {
            return (first() >>> guestBits) << clusterBits;
        }

        long nextGuest() {
            return first() & ((1L << guestBits) - 1);
        }

        void pop() {
            long k = first();
            head++;
            if (head < tail && keys[head] == k) throw bad("a qcow2 cluster mapped twice");
        }
    }

    private static ApiError bad(String why) {
        LOG.info("qcow2 import refused: {}", why);
        return new ApiError(ErrorCodes.VDI_IO_ERROR, RawVdiTransfer.IO_ERRORS);
    }
}
