package org.xapijava.db.persist;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads a redo log file (kept apart from the writer, as Cassandra keeps its replayer): checks the
 * header, decodes every record in order, and finds where the good records end.
 *
 * <p><b>Torn tail or damage?</b> The writer writes a group of records with one write and then forces
 * it; the next group is written only after that force returned. So after a crash only the last group
 * can be incomplete, and in any order of its pages. When a record is bad (incomplete, wrong length or
 * CRC, undecodable) the reader works out the group it belongs to (the group after the previous record
 * if that one ended its group, else the same group) and looks through the rest of the file, at every
 * byte offset, for a valid record of a <em>later</em> group. Finding one means the bad record was
 * durable once and is damaged now: a {@link RedoLogFormatException}. Finding none means a torn tail:
 * the reader reports where it starts, and everything from there on is dropped. Generations must be
 * strictly increasing and groups must not go backwards, else {@link RedoLogFormatException}.
 *
 * <p>Read-only: it never changes the file ({@link RedoLog#open} truncates a torn tail). Thread-safe.
 */
public final class RedoLogReader {
    private RedoLogReader() {}

    /**
     * What a scan found.
     *
     * @param version     the header's format version
     * @param firstGroup  the header's first group number
     * @param records     how many good records (those of complete groups)
     * @param lastGeneration the generation of the last good record, or -1 when none
     * @param nextGroup   a group number above every group seen (the next group write takes it)
     * @param validEnd    the byte offset just after the last good record (or the header)
     * @param fileSize    the file's size
     * @param tornReason  why the bytes from {@code validEnd} on were dropped, or null when there are none
     */
    public record Scan(
            int version,
            long firstGroup,
            long records,
            long lastGeneration,
            long nextGroup,
            long validEnd,
            long fileSize,
            String tornReason) {
        public boolean torn() {
            return validEnd < fileSize;
        }
    }

    /**
     * The {@link Scan#tornReason} of a file that ends in zeros after its last complete group: the space the writer
     * grows the file by ahead of its records ({@link RedoLog#PREALLOCATE_BYTES}), left by a crash.
     */
    public static final String UNUSED_TAIL = "zeros after the last group (space written ahead, unused)";

    /** The header of a redo log: its format version and the group number of its first record. */
    public record Header(int version, long firstGroup) {}

    /** Reads and checks only the header. */
    public static Header readHeader(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            RedoLogCodec.Header h = RedoLogCodec.parseHeader(
                    readAt(ch, 0, (int) Math.min(ch.size(), RedoLogCodec.HEADER_SIZE)), file.toString());
            return new Header(h.version(), h.firstGroup());
        }
    }

    /** One good record, as {@link #scan} hands it out. */
    public record Entry(long offset, int length, long group, boolean endOfGroup, DeltaBatch batch) {}

    /** The batches with generation {@code > afterGeneration}, in order; a torn tail is dropped. */
    public static List<DeltaBatch> replay(Path file, long afterGeneration) throws IOException {
        List<DeltaBatch> out = new ArrayList<>();
        scan(file, e -> {
            if (e.batch().generation() > afterGeneration) {
                out.add(e.batch());
            }
        });
        return out;
    }

    /** Calls {@code sink} with every good record in order and returns what was found. */
    public static Scan scan(Path file, Consumer<Entry> sink) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return scan(ch, file.toString(), sink);
        }
    }

    static Scan scan(FileChannel ch, String name, Consumer<Entry> sink) throws IOException {
        long size = ch.size();
        ByteBuffer hb = readAt(ch, 0, (int) Math.min(size, RedoLogCodec.HEADER_SIZE));
        RedoLogCodec.Header header = RedoLogCodec.parseHeader(hb, name);
        long pos = RedoLogCodec.HEADER_SIZE;
        long count = 0;
        long lastGen = -1;
        long lastGroup = header.firstGroup() - 1;
        boolean lastEnds = true; // as if a group ended just before the first record
        // Records of the group being read are handed out only once its end mark is seen: a group
        // without one is the torn last write, dropped whole (none of it was acknowledged).
        List<Entry> group = new ArrayList<>();
        long groupStart = pos;
        long deliveredGen = -1;
        String bad = null;
        while (pos < size) {
            RedoLogCodec.Record rec = null;
            long remaining = size - pos;
            if (remaining < RedoLogCodec.FRAME_OVERHEAD) {
                bad = "incomplete record frame (" + remaining + " bytes)";
            } else {
                int len = readAt(ch, pos, 4).getInt(0);
                if (len < RedoLogCodec.MIN_PAYLOAD || len > RedoLogCodec.MAX_PAYLOAD) {
                    bad = "implausible record length " + Integer.toUnsignedString(len);
                } else if (remaining - RedoLogCodec.FRAME_OVERHEAD < len) {
                    bad = "incomplete record (" + (remaining - RedoLogCodec.FRAME_OVERHEAD) + " of " + len
                            + " payload bytes)";
                } else {
                    rec = RedoLogCodec.tryDecode(readAt(ch, pos, RedoLogCodec.FRAME_OVERHEAD + len), 0, pos);
                    if (rec == null) {
                        bad = "record checksum mismatch or undecodable record";
                    }
                }
            }
            if (rec == null) {
                break;
            }
            long gen = rec.batch().generation();
            if (lastGen >= 0 && gen <= lastGen) {
                throw new RedoLogFormatException(
                        name,
                        pos,
                        "generation " + gen + " does not follow generation " + lastGen
                                + " (must be strictly increasing)");
            }
            if (lastEnds ? rec.group() <= lastGroup : rec.group() != lastGroup) {
                throw new RedoLogFormatException(
                        name,
                        pos,
                        "record of group " + rec.group() + " after " + (lastEnds ? "the end of" : "a record of")
                                + " group " + lastGroup);
            }
            if (lastEnds) {
                groupStart = pos;
            }
            group.add(new Entry(rec.offset(), rec.length(), rec.group(), rec.endOfGroup(), rec.batch()));
            lastGen = gen;
            lastGroup = rec.group();
            lastEnds = rec.endOfGroup();
            pos = rec.end();
            if (lastEnds) {
                for (Entry e : group) {
                    sink.accept(e);
                }
                count += group.size();
                group.clear();
                deliveredGen = gen;
            }
        }
        if (bad != null) {
            long badGroup = lastEnds ? lastGroup + 1 : lastGroup;
            if (checkNothingDurableAfter(ch, name, pos, size, badGroup, bad) && group.isEmpty()) bad = UNUSED_TAIL;
        }
        long validEnd = pos;
        if (!group.isEmpty()) {
            validEnd = groupStart;
            bad = group.size() + " record(s) of group " + lastGroup + " without its end mark"
                    + (bad == null ? "" : ", then " + bad);
        }
        return new Scan(
                header.version(),
                header.firstGroup(),
                count,
                deliveredGen,
                Math.max(lastGroup, header.firstGroup() - 1) + 1,
                validEnd,
                size,
                bad);
    }

    /**
     * Throws when a valid record of a group after {@code badGroup} follows the bad record at {@code at}; tells
     * whether everything from {@code at} on is zeros.
     */
    private static boolean checkNothingDurableAfter(
            FileChannel ch, String name, long at, long size, long badGroup, String bad) throws IOException {
        long rest = size - at;
        if (rest > Integer.MAX_VALUE - 16) {
            throw new RedoLogFormatException(
                    name, at, bad + ", followed by " + rest + " more bytes (far more than a torn group write)");
        }
        ByteBuffer b = readAt(ch, at, (int) rest);
        for (int i = 1; i + RedoLogCodec.FRAME_OVERHEAD + RedoLogCodec.MIN_PAYLOAD <= b.limit(); i++) {
            int len = b.getInt(i);
            if (len < RedoLogCodec.MIN_PAYLOAD || len > b.limit() - i - RedoLogCodec.FRAME_OVERHEAD) {
                continue;
            }
            RedoLogCodec.Record r = RedoLogCodec.tryDecode(b, i, at);
            if (r != null && r.group() > badGroup) {
                throw new RedoLogFormatException(
                        name,
                        at,
                        bad + ", but a valid record of a later group write ("
                                + r.group() + ", generation " + r.batch().generation() + ") follows at byte "
                                + r.offset()
                                + ": the log is damaged, not torn");
            }
        }
        for (int i = 0; i < b.limit(); i++) if (b.get(i) != 0) return false;
        return true;
    }

    private static ByteBuffer readAt(FileChannel ch, long pos, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) {
                break;
            }
        }
        b.flip();
        return b;
    }
}
