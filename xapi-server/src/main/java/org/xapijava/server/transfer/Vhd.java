package org.xapijava.server.transfer;

import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * The parts of a dynamic VHD that Xapi's {@code vhd-tool} writes (its {@code vhd_format/f.ml}; reference
 * http-handlers.md §9): the 512-byte footer (cookie {@code conectix}, features 2, version 1.0, creator {@code caml}
 * version 1, host OS 0, time stamp 0, CHS geometry from the size, disk type, one's-complement byte-sum checksum, a
 * random unique id), the 1024-byte dynamic header (cookie {@code cxsparse}, data offset all ones, the table offset,
 * version 1.0, 2 MiB blocks, no parent), and the sizes of the block allocation table and of a block's sector bitmap.
 * Stateless.
 */
final class Vhd {
    static final int SECTOR = 512;
    static final int FOOTER = 512;
    static final int HEADER = 1024;
    /** Where vhd-tool puts the header and the BAT ({@code data_offset}, {@code table_offset}). */
    static final long HEADER_OFFSET = 512;

    static final long TABLE_OFFSET = 2048;
    /** 2 MiB blocks: 4096 sectors. */
    static final int BLOCK = 2 << 20;
    /** A block's sector bitmap: one bit per sector, rounded to a sector. */
    static final int BITMAP = SECTOR;
    /** A BAT entry for a block with no data. */
    static final int ABSENT = 0xFFFFFFFF;
    /** {@code Disk_type}: fixed, dynamic, differencing. */
    static final int FIXED = 2;

    static final int DYNAMIC = 3;
    static final int DIFFERENCING = 4;
    /** Xapi's {@code Constants.max_vhd_size}: 2040 GiB. */
    static final long MAX_SIZE = 2040L << 30;

    private Vhd() {}

    /** {@code current_size} rounded up to whole blocks, as vhd-tool's from a raw device. */
    static long roundedSize(long size) {
        return (size + BLOCK - 1) / BLOCK * BLOCK;
    }

    static int blocks(long roundedSize) {
        return (int) (roundedSize / BLOCK);
    }

    /** The BAT's size in bytes: 4 per block, rounded to a sector. */
    static int batBytes(int blocks) {
        return (blocks * 4 + SECTOR - 1) / SECTOR * SECTOR;
    }

    static byte[] footer(long currentSize, int diskType, UUID uid) {
        ByteBuffer b = ByteBuffer.allocate(FOOTER);
        b.put("conectix".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        b.putInt(2); // features: the reserved bit, always set
        b.putInt(0x00010000);
        b.putLong(diskType == FIXED ? -1L : HEADER_OFFSET);
        b.putInt(0); // time stamp
        b.put("caml".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        b.putInt(1); // creator version
        b.putInt(0); // creator host OS: Other 0
        b.putLong(currentSize); // original size
        b.putLong(currentSize);
        int[] chs = geometry(currentSize / SECTOR);
        b.putShort((short) chs[0]);
        b.put((byte) chs[1]);
        b.put((byte) chs[2]);
        b.putInt(diskType);
        int checksumAt = b.position();
        b.putInt(0);
        b.putLong(uid.getMostSignificantBits());
        b.putLong(uid.getLeastSignificantBits());
        b.put((byte) 0); // saved state
        byte[] out = b.array();
        ByteBuffer.wrap(out).putInt(checksumAt, checksum(out));
        return out;
    }

    /**
     * The parent of a differencing VHD as vhd-tool names it ({@code Parent_locator.from_filename}): its unique id,
     * its time stamp (seconds since 2000-01-01) and its file name.
     */
    record Parent(UUID uid, long timeStamp, String filename) {}

    /** Seconds from the Unix epoch to the VHD one (2000-01-01T00:00:00Z). */
    static final long VHD_EPOCH = 946_684_800L;

    /** Where vhd-tool's one parent locator points (the empty sector after the header). */
    static final long LOCATOR_OFFSET = 1536;

    /** A dynamic disk's header, or a differencing one's when {@code parent} is given. */
    static byte[] header(int blocks, Parent parent) {
        ByteBuffer b = ByteBuffer.allocate(HEADER);
        b.put("cxsparse".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        b.putLong(-1L);
        b.putLong(TABLE_OFFSET);
        b.putInt(0x00010000);
        b.putInt(blocks);
        b.putInt(BLOCK);
        // checksum at 36 below; without a parent the rest is zeros
        if (parent != null) {
            b.putInt(36, 0);
            b.putLong(40, parent.uid().getMostSignificantBits());
            b.putLong(48, parent.uid().getLeastSignificantBits());
            b.putInt(56, (int) parent.timeStamp());
            byte[] name = parent.filename().getBytes(java.nio.charset.StandardCharsets.UTF_16BE);
            b.put(64, name, 0, Math.min(name.length, 512));
            // locator 0: MacX, one sector of space, the file:// URI's length, at 1536 (left empty, as vhd-tool)
            int uri = ("file://" + parent.filename()).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            b.putInt(576, 0x4d616358);
            b.putInt(580, 1);
            b.putInt(584, uri);
            b.putInt(588, 0);
            b.putLong(592, LOCATOR_OFFSET);
        }
        byte[] out = b.array();
        ByteBuffer.wrap(out).putInt(36, checksum(out));
        return out;
    }

    /** The one's complement of the byte sum (the checksum field counted as zero). */
    static int checksum(byte[] b) {
        int sum = 0;
        for (byte x : b) sum += x & 0xff;
        return ~sum;
    }

    /** The VHD specification's CHS calculation (cylinders, heads, sectors per track) for {@code sectors}. */
    static int[] geometry(long sectors) {
        long secs = Math.min(65535L * 16 * 255, sectors);
        long perTrack;
        long heads;
        long cylTimesHeads;
        if (secs > 65535L * 16 * 63) {
            perTrack = 255;
            heads = 16;
            cylTimesHeads = secs / perTrack;
        } else {
            perTrack = 17;
            cylTimesHeads = secs / perTrack;
            heads = Math.max((cylTimesHeads + 1023) / 1024, 4);
            if (cylTimesHeads >= heads * 1024 || heads > 16) {
                perTrack = 31;
                heads = 16;
                cylTimesHeads = secs / perTrack;
            }
            if (cylTimesHeads >= heads * 1024) {
                perTrack = 63;
                heads = 16;
                cylTimesHeads = secs / perTrack;
            }
        }
        return new int[] {(int) (cylTimesHeads / heads), (int) heads, (int) perTrack};
    }
}
