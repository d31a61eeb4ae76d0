package org.xapijava.db.persist;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.zip.CRC32C;

/**
 * The pool's redo log on a VDI ({@code pool.enable_redo_log}): the database mirrored to a fixed-size disk that a new
 * master can read. Layout (big-endian; {@code docs/redo-log-format.md}, "On a VDI"):
 *
 * <pre>
 * offset 0, 4096 bytes   header: magic "XJVDIRLG", u32 version 1, u64 snapshot generation, u64 snapshot length,
 *                        u32 CRC32C of the 28 bytes before it, zeros
 * offset 4096            the snapshot: the whole database as state.db XML
 * next 4 KiB boundary    records, the local redo log's frames (group, generation, deltas; end-of-group flag)
 * </pre>
 *
 * The snapshot and then the header are written and forced before any record ({@link #start}), so a header always describes a
 * complete snapshot. Records are group-committed by the committers themselves: {@link #awaitDurable} of a ticket not
 * yet durable takes the write lock, writes everything queued as one group (one positional write, one force) and marks
 * it durable; the others find their ticket durable once they hold the lock. A reader ({@link #read}) takes the
 * snapshot, then every complete group until the first frame that does not decode (zeros past the end, or a torn last
 * group), skipping batches the snapshot holds. A log whose next group does not fit on the disk fails (the caller stops
 * mirroring). Thread-safe.
 */
public final class VdiRedoLog implements CommitLog {
    static final byte[] MAGIC = "XJVDIRLG".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    /** The header's block: records and snapshot start on its boundaries. */
    static final int BLOCK = 4096;

    private final FileChannel ch;
    private final long capacity;
    private final RedoLogCodec.Encoder encoder = new RedoLogCodec.Encoder();
    private final Object queueLock = new Object();
    private final Object writeLock = new Object();
    private List<DeltaBatch> queued = new ArrayList<>();
    private long lastTicket;
    private volatile long durable;
    private final java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    private long position = -1;
    private long group = 1;
    private volatile IOException failed;

    private VdiRedoLog(FileChannel ch, long capacity) {
        this.ch = ch;
        this.capacity = capacity;
    }

    /**
     * A fresh log on the disk at {@code device} ({@code capacity} bytes usable). It queues batches at once; they are
     * written once {@link #start} has written the snapshot.
     */
    public static VdiRedoLog open(Path device, long capacity) throws IOException {
        return new VdiRedoLog(FileChannel.open(device, StandardOpenOption.READ, StandardOpenOption.WRITE), capacity);
    }

    /**
     * Writes {@code snapshot} (the database at its generation; batches queued at or below it are skipped by readers)
     * and forces it, the records' area cleared at its start, then the header, forced.
     */
    public void start(DbImage snapshot) throws IOException {
        synchronized (writeLock) {
            try {
                byte[] xml = StateDbWriter.toBytes(snapshot);
                long records = align(BLOCK + (long) xml.length);
                if (records + BLOCK > capacity)
                    throw new IOException(
                            "the database (" + xml.length + " bytes) does not fit on the redo log's disk");
                // an older log's records past the new snapshot must not be read as this one's
                writeFully(ch, ByteBuffer.allocate(BLOCK), records);
                writeFully(ch, ByteBuffer.wrap(xml), BLOCK);
                ch.force(false);
                writeFully(ch, header(snapshot.generation(), xml.length), 0);
                ch.force(false);
                position = records;
            } catch (IOException | RuntimeException e) {
                failed = e instanceof IOException io ? io : new IOException(e);
                throw failed;
            } finally {
                started.countDown();
            }
        }
    }

    private static ByteBuffer header(long generation, long length) {
        ByteBuffer h = ByteBuffer.allocate(BLOCK);
        h.put(MAGIC).putInt(VERSION).putLong(generation).putLong(length);
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, 28);
        h.putInt((int) crc.getValue());
        h.clear();
        return h;
    }

    private static long align(long n) {
        return (n + BLOCK - 1) / BLOCK * BLOCK;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) at += ch.write(b, at);
    }

    @Override
    public long append(DeltaBatch batch) {
        synchronized (queueLock) {
            queued.add(batch);
            return ++lastTicket;
        }
    }

    @Override
    public void awaitDurable(long ticket) throws IOException, InterruptedException {
        if (durable >= ticket) return;
        started.await();
        synchronized (writeLock) {
            if (failed != null) throw failed;
            if (durable >= ticket) return;
            List<DeltaBatch> batches;
            long upTo;
            synchronized (queueLock) {
                batches = queued;
                queued = new ArrayList<>();
                upTo = lastTicket;
            }
            try {
                encoder.clear();
                int last = -1;
                for (DeltaBatch b : batches) last = encoder.record(b, group, false);
                if (last >= 0) {
                    encoder.markEndOfGroup(last);
                    ByteBuffer bytes = encoder.flip();
                    if (position + bytes.remaining() > capacity)
                        throw new IOException("the redo log's disk is full (" + capacity + " bytes)");
                    int n = bytes.remaining();
                    writeFully(ch, bytes, position);
                    ch.force(false);
                    position += n;
                    group++;
                }
                durable = upTo;
            } catch (IOException | RuntimeException e) {
                failed = e instanceof IOException io ? io : new IOException(e);
                throw failed;
            }
        }
    }

    @Override
    public void setDurableListener(LongConsumer listener) {
        // durability is only waited for: a mirror publishes nothing
    }

    @Override
    public void checkpoint(long generation) {
        // the snapshot at the disk's start is rewritten only by a new start
    }

    /** Bytes of records written so far, after the snapshot. */
    public long position() {
        return position;
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }

    /** What a new master reads from the disk: the snapshot and the batches to replay on it (newer than it). */
    public record Contents(LoadedDb snapshot, List<DeltaBatch> replay) {}

    /**
     * Reads the log at {@code device}: {@link RedoLogFormatException} when it holds none (no valid header) or its
     * snapshot does not parse.
     */
    public static Contents read(Path device) throws IOException {
        try (FileChannel ch = FileChannel.open(device, StandardOpenOption.READ)) {
            ByteBuffer h = ByteBuffer.allocate(32);
            ch.read(h, 0);
            h.flip();
            byte[] magic = new byte[MAGIC.length];
            if (h.remaining() < 32) throw new RedoLogFormatException(device.toString(), 0, "no redo log header");
            h.get(magic);
            if (!Arrays.equals(magic, MAGIC))
                throw new RedoLogFormatException(device.toString(), 0, "no redo log on this disk");
            int version = h.getInt();
            long generation = h.getLong();
            long length = h.getLong();
            CRC32C crc = new CRC32C();
            crc.update(h.array(), 0, 28);
            if (h.getInt() != (int) crc.getValue())
                throw new RedoLogFormatException(device.toString(), 0, "bad header checksum");
            if (version != VERSION)
                throw new RedoLogFormatException(device.toString(), 8, "redo log format version " + version);
            if (length < 0 || length > Integer.MAX_VALUE - BLOCK)
                throw new RedoLogFormatException(device.toString(), 20, "bad snapshot length " + length);
            ByteBuffer xml = ByteBuffer.allocate((int) length);
            while (xml.hasRemaining() && ch.read(xml, BLOCK + xml.position()) > 0) {}
            LoadedDb snapshot = StateDbReader.read(new ByteArrayInputStream(xml.array()), device + " (redo log)");
            long at = align(BLOCK + length);
            long size = ch.size();
            List<DeltaBatch> replay = new ArrayList<>();
            List<DeltaBatch> group = new ArrayList<>();
            ByteBuffer frame = ByteBuffer.allocate(RedoLogCodec.FRAME_OVERHEAD);
            while (at + RedoLogCodec.FRAME_OVERHEAD <= size) {
                frame.clear();
                while (frame.hasRemaining() && ch.read(frame, at + frame.position()) > 0) {}
                int len = frame.getInt(0);
                if (len < RedoLogCodec.MIN_PAYLOAD
                        || len > RedoLogCodec.MAX_PAYLOAD
                        || at + RedoLogCodec.FRAME_OVERHEAD + len > size) break;
                ByteBuffer whole = ByteBuffer.allocate(RedoLogCodec.FRAME_OVERHEAD + len);
                while (whole.hasRemaining() && ch.read(whole, at + whole.position()) > 0) {}
                whole.flip();
                RedoLogCodec.Record r = RedoLogCodec.tryDecode(whole, 0, at);
                if (r == null) break; // past the last group written, or a torn last group
                group.add(r.batch());
                if (r.endOfGroup()) {
                    for (DeltaBatch d : group) if (d.generation() > generation) replay.add(d);
                    group.clear();
                }
                at = r.end();
            }
            return new Contents(snapshot, replay);
        }
    }
}
