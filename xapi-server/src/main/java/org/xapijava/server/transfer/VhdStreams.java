package org.xapijava.server.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.BitSet;
import java.util.TreeMap;
import java.util.UUID;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;

/**
 * A disk as a VHD stream and back, as Xapi's {@code vhd-tool}: out, a dynamic VHD of the blocks that hold data
 * (vhd-tool's {@code vhd_from_raw}: footer copy, header, an empty sector, BAT, then each present block's all-ones
 * bitmap and data in block order, then the footer); in, a dynamic or differencing VHD whose present blocks
 * (sectors, by their bitmaps) are written at their places, read in one pass in the order of the file. Stateless.
 */
final class VhdStreams {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(VhdStreams.class);
    /** The largest block accepted (vhd-tool writes 2 MiB; the specification allows any power of two). */
    static final int MAX_BLOCK = 16 << 20;

    private VhdStreams() {}

    /**
     * Writes the {@code size} bytes of {@code in} as a VHD: one pass to find the blocks to send, one to send them (the
     * BAT comes before the data). Without {@code base}, a dynamic VHD of the blocks that are not all zeros; with
     * it (the disk {@code in} was made from, of the same size), a differencing VHD of {@code parent} holding the
     * blocks whose content differs from the base's (vhd-tool's {@code --relative-to}, which takes the blocks
     * allocated in the VDI's chain and not in the base's: here a block rewritten with the same data is left out).
     */
    static void write(
            DiskReader in,
            DiskReader base,
            Vhd.Parent parent,
            OutputStream out,
            long size,
            RawVdiTransfer.Progress progress)
            throws IOException {
        long rounded = Vhd.roundedSize(size);
        int blocks = Vhd.blocks(rounded);
        byte[] buf = new byte[Vhd.BLOCK];
        byte[] old = base == null ? null : new byte[Vhd.BLOCK];
        BitSet present = new BitSet(blocks);
        for (int i = 0; i < blocks; i++) {
            progress.check();
            long at = (long) i * Vhd.BLOCK;
            boolean send;
            if (DiskReader.knownZero(in, base, at, Vhd.BLOCK)) {
                send = false; // a hole (in both): neither read nor scanned
            } else {
                in.read(at, size, buf);
                if (base != null) base.read(at, size, old);
                send = base == null ? !DiskWriter.allZero(buf, 0, buf.length) : !Arrays.equals(buf, old);
            }
            if (send) present.set(i);
            progress.at((long) i * Vhd.BLOCK / 2);
        }
        byte[] footer = Vhd.footer(rounded, base == null ? Vhd.DYNAMIC : Vhd.DIFFERENCING, UUID.randomUUID());
        out.write(footer);
        out.write(Vhd.header(blocks, base == null ? null : parent));
        out.write(new byte[(int) (Vhd.TABLE_OFFSET - Vhd.HEADER_OFFSET - Vhd.HEADER)]);
        int batBytes = Vhd.batBytes(blocks);
        ByteBuffer bat = ByteBuffer.allocate(batBytes);
        long next = Vhd.TABLE_OFFSET + batBytes;
        for (int i = 0; i < blocks; i++) {
            if (present.get(i)) {
                bat.putInt((int) (next / Vhd.SECTOR));
                next += Vhd.BITMAP + Vhd.BLOCK;
            } else {
                bat.putInt(Vhd.ABSENT);
            }
        }
        while (bat.hasRemaining()) bat.put((byte) 0xff);
        out.write(bat.array());
        byte[] bitmap = new byte[Vhd.BITMAP];
        Arrays.fill(bitmap, (byte) 0xff);
        for (int i = present.nextSetBit(0); i >= 0; i = present.nextSetBit(i + 1)) {
            progress.check();
            in.read((long) i * Vhd.BLOCK, size, buf);
            out.write(bitmap);
            out.write(buf);
            progress.at(size / 2 + (long) i * Vhd.BLOCK / 2);
        }
        out.write(footer);
    }

    /**
     * Reads a dynamic or differencing VHD from {@code in} and writes its present sectors through {@code w}; a
     * stream that is not such a VHD, or whose blocks are not after its BAT, is {@code VDI_IO_ERROR}.
     */
    static void read(InputStream in, DiskWriter w, RawVdiTransfer.Progress progress) throws IOException {
        ForwardStream s = new ForwardStream(in, VhdStreams::bad);
        byte[] footer = s.read(Vhd.FOOTER);
        ByteBuffer f = ByteBuffer.wrap(footer);
        if (!ascii(footer, 0, 8).equals("conectix")) throw bad("no VHD footer at the start");
        int type = f.getInt(60);
        if (type != Vhd.DYNAMIC && type != Vhd.DIFFERENCING) throw bad("VHD disk type " + type);
        s.skipTo(f.getLong(16));
        byte[] header = s.read(Vhd.HEADER);
        ByteBuffer h = ByteBuffer.wrap(header);
        if (!ascii(header, 0, 8).equals("cxsparse")) throw bad("no VHD dynamic header");
        long tableOffset = h.getLong(16);
        int entries = h.getInt(28);
        int blockSize = h.getInt(32);
        if (blockSize < Vhd.SECTOR || blockSize > MAX_BLOCK || Integer.bitCount(blockSize) != 1)
            throw bad("VHD block size " + blockSize);
        if (entries < 0 || (long) entries * blockSize > w.size() + blockSize)
            throw bad("a VHD of " + entries + " blocks of " + blockSize + " bytes for a disk of " + w.size());
        int sectorsPerBlock = blockSize / Vhd.SECTOR;
        int bitmapBytes = ((sectorsPerBlock + 7) / 8 + Vhd.SECTOR - 1) / Vhd.SECTOR * Vhd.SECTOR;
        s.skipTo(tableOffset);
        ByteBuffer bat = ByteBuffer.wrap(s.read(entries * 4));
        TreeMap<Long, Integer> blocks = new TreeMap<>();
        for (int i = 0; i < entries; i++) {
            int e = bat.getInt();
            if (e != Vhd.ABSENT) blocks.put(Integer.toUnsignedLong(e) * Vhd.SECTOR, i);
        }
        byte[] data = new byte[blockSize];
        long done = 0;
        for (var e : blocks.entrySet()) {
            progress.check();
            s.skipTo(e.getKey());
            byte[] bitmap = s.read(bitmapBytes);
            s.readFully(data);
            writeSectors(w, (long) e.getValue() * blockSize, bitmap, data, sectorsPerBlock);
            done += blockSize;
            progress.at(done);
        }
    }

    /** The runs of sectors whose bitmap bit is set. */
    private static void writeSectors(DiskWriter w, long base, byte[] bitmap, byte[] data, int sectors)
            throws IOException {
        int i = 0;
        while (i < sectors) {
            if (!bit(bitmap, i)) {
                i++;
                continue;
            }
            int j = i;
            while (j < sectors && bit(bitmap, j)) j++;
            w.write(base + (long) i * Vhd.SECTOR, data, i * Vhd.SECTOR, (j - i) * Vhd.SECTOR);
            i = j;
        }
    }

    private static boolean bit(byte[] bitmap, int sector) {
        return (bitmap[sector >>> 3] & (0x80 >>> (sector & 7))) != 0;
    }

    private static String ascii(byte[] b, int off, int n) {
        return new String(b, off, n, StandardCharsets.US_ASCII);
    }

    /** Xapi's answer when vhd-tool cannot read the stream ({@code VDI_IO_ERROR}); the reason is logged. */
    private static ApiError bad(String why) {
        LOG.info("VHD import refused: {}", why);
        return new ApiError(ErrorCodes.VDI_IO_ERROR, RawVdiTransfer.IO_ERRORS);
    }
}
