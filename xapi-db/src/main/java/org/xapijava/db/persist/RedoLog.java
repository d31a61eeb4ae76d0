package org.xapijava.db.persist;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.rpc.UnwritableTextException;
import org.xapijava.model.util.AtomicFiles;

/**
 * The redo log: a local append-only file where every committed batch becomes durable before it is
 * acknowledged, group-committed, replayed at start-up on top of {@code state.db}.
 *
 * <h2>Format (version 1; details in {@code docs/redo-log-format.md} and {@link RedoLogCodec})</h2>
 * A 24-byte header (magic {@code XJREDOLG}, u32 version, u64 first group number, CRC32C), then
 * records {@code u32 length | u32 CRC32C(length, payload) | payload}, the payload holding flags
 * (end-of-group mark), the group number, the batch's generation and its deltas as length-prefixed UTF-8
 * strings. Big-endian.
 *
 * <h2>Group commit</h2>
 * {@link #append} only queues (a lock held for a list add; no I/O) and returns a ticket. One writer
 * thread takes everything queued, encodes it as one group (records with the same group number, the last
 * one marked), writes it in one go, {@code force(false)}, then marks every ticket of the group durable,
 * wakes the waiters in {@link #awaitDurable} and calls the durable listener. The next group is written
 * only after that force returned, which is what lets {@link RedoLogReader} tell a torn tail from damage.
 *
 * <h2>Failure</h2>
 * Any I/O error while writing or forcing fails the log for good (no retry: after a failed fsync the
 * kernel may have dropped the dirty pages): every current and later {@link #awaitDurable} of a ticket
 * not yet durable throws; nothing not durable is ever acknowledged.
 *
 * <h2>Checkpoint</h2>
 * {@link #checkpoint} has the writer thread (after writing what is queued) copy the records with a
 * generation above the checkpoint to a new file with a fresh header, force it, rename it over the log
 * and force the directory; then it continues appending to the new file. A crash before the rename
 * leaves the old, complete log (replay skips what {@code state.db} holds); after, the new one.
 *
 * <h2>Opening</h2>
 * {@link #open} creates the file (header written atomically) or scans it: a torn tail is logged and
 * truncated before anything is appended; damage is a {@link RedoLogFormatException}.
 *
 * <p>Thread-safe. {@link #checkpoint} and {@link #close} block and must not be called from the durable
 * listener.
 */
public final class RedoLog implements CommitLog {
    private static final Logger LOG = LoggerFactory.getLogger(RedoLog.class);

    /** Queued bytes beyond this close a group early: bounds memory and the size of a torn tail. */
    private static final int MAX_GROUP_BYTES = 8 << 20;

    /**
     * The file is grown by zeros this far ahead of the last record, in the same write-and-force as a group: a
     * group written into space already written (and forced) changes no file metadata, so its {@code fdatasync}
     * needs no journal commit (on this project's ext4 disk, 700-byte writes each forced: p50 0.3–1.7 ms into
     * zeros against 2.7–3.9 ms appended). A clean close cuts the zeros off; after a crash the reader takes them
     * for a torn tail (a record length of 0) and {@link #open} cuts them.
     */
    static final int PREALLOCATE_BYTES = 1 << 20;

    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 << 10).asReadOnlyBuffer();

    /** Fault injection for tests: called around the writer thread's I/O. */
    interface Faults {
        default void beforeWrite() throws IOException {}

        default void beforeForce() throws IOException {}
    }

    private static final Faults NO_FAULTS = new Faults() {};

    private record Pending(long ticket, DeltaBatch batch) {}

    private record CheckpointRequest(long generation, CompletableFuture<Void> done) {}

    private final Path file;
    private final String name;
    private final Faults faults;

    // Queue side: guarded by queueLock, held only to add or swap.
    private final ReentrantLock queueLock = new ReentrantLock();
    private final Condition work = queueLock.newCondition();
    private List<Pending> queue = new ArrayList<>();
    private final List<CheckpointRequest> checkpoints = new ArrayList<>();
    private volatile long lastTicket;
    private long lastAppendedGeneration;
    private boolean closing;

    // Durability side: durable and failure are written by the writer thread under durableLock.
    private final ReentrantLock durableLock = new ReentrantLock();
    private final Condition durableMoved = durableLock.newCondition();
    private volatile long durable;
    private volatile IOException failure;
    private volatile boolean stopped;
    private volatile LongConsumer listener = t -> {};

    // Writer thread only.
    private FileChannel channel;
    private long end;
    /** The file's size: zeros from {@link #end} to here. */
    private long allocated;

    private long nextGroup;
    private final RedoLogCodec.Encoder encoder = new RedoLogCodec.Encoder();
    private long[] offsets = new long[1024];
    private long[] generations = new long[1024];
    private long[] groups = new long[1024];
    private int indexed;

    private volatile long syncs;
    private volatile long groupsWritten;
    private final Thread writer;

    private RedoLog(Path file, Faults faults) throws IOException {
        this.file = file;
        this.name = file.toString();
        this.faults = faults;
        AtomicFiles.deleteStaleTemps(file);
        if (!Files.exists(file)) {
            AtomicFiles.replace(file, ch -> writeFully(ch, RedoLogCodec.header(0), 0));
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            RedoLogReader.Scan scan = RedoLogReader.scan(
                    ch, name, e -> index(e.offset(), e.batch().generation(), e.group()));
            if (scan.torn()) {
                LOG.atLevel(
                                RedoLogReader.UNUSED_TAIL.equals(scan.tornReason())
                                        ? org.slf4j.event.Level.INFO
                                        : org.slf4j.event.Level.WARN)
                        .log(
                                "redo log {}: dropping a torn tail of {} bytes at byte {} ({})",
                                name,
                                scan.fileSize() - scan.validEnd(),
                                scan.validEnd(),
                                scan.tornReason());
                ch.truncate(scan.validEnd());
                ch.force(true);
            }
            this.channel = ch;
            this.end = scan.validEnd();
            this.allocated = end;
            this.nextGroup = scan.nextGroup();
            this.lastAppendedGeneration = scan.lastGeneration();
            LOG.info("redo log {}: {} batches up to generation {}", name, scan.records(), scan.lastGeneration());
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        this.writer = Thread.ofPlatform()
                .name("redo-log-writer " + file.getFileName())
                .daemon(true)
                .unstarted(this::run);
        writer.start();
    }

    /**
     * Opens (or creates) the redo log at {@code file}, truncating a torn tail. Replay it (with
     * {@link #replay}) before or after opening: both see the same batches.
     *
     * @throws RedoLogFormatException when the file is not a redo log of this format or is damaged
     */
    public static RedoLog open(Path file) throws IOException {
        return new RedoLog(file, NO_FAULTS);
    }

    static RedoLog open(Path file, Faults faults) throws IOException {
        return new RedoLog(file, faults);
    }

    /**
     * The batches in the log at {@code file} with generation {@code > afterGeneration}, in order. A torn
     * tail is logged and dropped (the file is not changed).
     *
     * @throws RedoLogFormatException on a wrong magic or version, damage in the middle, or generations
     *     not strictly increasing
     */
    public static List<DeltaBatch> replay(Path file, long afterGeneration) throws IOException {
        List<DeltaBatch> out = new ArrayList<>();
        RedoLogReader.Scan scan = RedoLogReader.scan(file, e -> {
            if (e.batch().generation() > afterGeneration) {
                out.add(e.batch());
            }
        });
        if (scan.torn() && !RedoLogReader.UNUSED_TAIL.equals(scan.tornReason())) {
            LOG.warn(
                    "redo log {}: ignoring a torn tail of {} bytes at byte {} ({})",
                    file,
                    scan.fileSize() - scan.validEnd(),
                    scan.validEnd(),
                    scan.tornReason());
        }
        return out;
    }

    public Path file() {
        return file;
    }

    /** How many times the log forced its file (one per group written). */
    public long syncCount() {
        return syncs;
    }

    /** How many group writes (each one write and one force). */
    public long groupCount() {
        return groupsWritten;
    }

    /** The highest durable ticket. */
    public long durableTicket() {
        return durable;
    }

    /**
     * {@inheritDoc}
     *
     * @throws UnwritableTextException when a string of the batch holds a character the database refuses (a value
     *     its check should have stopped): refused here, in the committing thread, so that the transaction fails
     *     alone instead of the log's writer (the encoder would have to alter the value)
     */
    @Override
    public long append(DeltaBatch batch) {
        RedoLogCodec.checkWritable(batch);
        queueLock.lock();
        try {
            if (closing) {
                throw new IllegalStateException("redo log " + name + " is closed");
            }
            if (batch.generation() <= lastAppendedGeneration) {
                throw new IllegalArgumentException("generation " + batch.generation()
                        + " is not above the last logged generation " + lastAppendedGeneration);
            }
            lastAppendedGeneration = batch.generation();
            long ticket = ++lastTicket;
            queue.add(new Pending(ticket, batch));
            if (queue.size() == 1) {
                work.signal();
            }
            return ticket;
        } finally {
            queueLock.unlock();
        }
    }

    @Override
    public void awaitDurable(long ticket) throws IOException, InterruptedException {
        if (ticket <= durable) {
            return;
        }
        if (ticket > lastTicket) {
            throw new IllegalArgumentException("ticket " + ticket + " was never issued");
        }
        durableLock.lock();
        try {
            while (durable < ticket) {
                IOException f = failure;
                if (f != null) {
                    throw new IOException("redo log " + name + " failed; the commit is not durable", f);
                }
                if (stopped) {
                    throw new IOException("redo log " + name + " is closed; ticket " + ticket + " was never written");
                }
                durableMoved.await();
            }
        } finally {
            durableLock.unlock();
        }
    }

    @Override
    public void setDurableListener(LongConsumer listener) {
        this.listener = listener == null ? t -> {} : listener;
    }

    @Override
    public void checkpoint(long generation) throws IOException {
        CompletableFuture<Void> done = new CompletableFuture<>();
        queueLock.lock();
        try {
            if (closing) {
                throw new IllegalStateException("redo log " + name + " is closed");
            }
            checkpoints.add(new CheckpointRequest(generation, done));
            work.signal();
        } finally {
            queueLock.unlock();
        }
        try {
            done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the redo log checkpoint");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw new IOException("redo log " + name + ": checkpoint at generation " + generation + " failed", io);
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public void close() throws IOException {
        queueLock.lock();
        try {
            closing = true;
            work.signal();
        } finally {
            queueLock.unlock();
        }
        boolean interrupted = false;
        while (writer.isAlive()) {
            try {
                writer.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Writer thread

    private void run() {
        try {
            while (true) {
                List<Pending> batch;
                List<CheckpointRequest> cps;
                boolean last;
                queueLock.lock();
                try {
                    while (queue.isEmpty() && checkpoints.isEmpty() && !closing) {
                        work.awaitUninterruptibly();
                    }
                    batch = queue;
                    queue = new ArrayList<>();
                    cps = checkpoints.isEmpty() ? List.of() : new ArrayList<>(checkpoints);
                    checkpoints.clear();
                    last = closing;
                } finally {
                    queueLock.unlock();
                }
                if (!batch.isEmpty()) {
                    writeGroups(batch);
                }
                for (CheckpointRequest cp : cps) {
                    try {
                        runCheckpoint(cp);
                    } catch (RuntimeException | Error e) {
                        cp.done().completeExceptionally(e);
                        throw e;
                    }
                }
                if (last) {
                    break;
                }
            }
        } catch (Throwable t) {
            fail(t instanceof IOException io ? io : new IOException("redo log writer crashed", t));
        } finally {
            queueLock.lock();
            try {
                closing = true; // no more appends or checkpoints are accepted
                for (CheckpointRequest cp : checkpoints) {
                    cp.done().completeExceptionally(new IOException("redo log " + name + " stopped", failure));
                }
                checkpoints.clear();
            } finally {
                queueLock.unlock();
            }
            try {
                if (failure == null && allocated > end) channel.truncate(end); // the zeros ahead are not kept
                channel.close();
            } catch (IOException e) {
                LOG.warn("redo log {}: close failed", name, e);
            }
            durableLock.lock();
            try {
                stopped = true;
                durableMoved.signalAll();
            } finally {
                durableLock.unlock();
            }
        }
    }

    private void writeGroups(List<Pending> batch) {
        if (failure != null) {
            return; // never written: their waiters see the failure
        }
        int i = 0;
        while (i < batch.size()) {
            encoder.clear();
            long group = nextGroup;
            int first = i;
            int lastAt = -1;
            int[] at = new int[Math.min(batch.size() - i, 4096)];
            while (i < batch.size() && (i == first || encoder.size() < MAX_GROUP_BYTES)) {
                if (i - first == at.length) {
                    at = Arrays.copyOf(at, at.length * 2);
                }
                lastAt = encoder.record(batch.get(i).batch(), group, false);
                at[i - first] = lastAt;
                i++;
            }
            encoder.markEndOfGroup(lastAt);
            ByteBuffer bytes = encoder.flip();
            long start = end;
            try {
                faults.beforeWrite();
                if (start + bytes.limit() > allocated) {
                    long to = start + bytes.limit() + PREALLOCATE_BYTES;
                    writeZeros(channel, allocated, to);
                    allocated = to;
                }
                writeFully(channel, bytes, start);
                faults.beforeForce();
                channel.force(false);
            } catch (IOException e) {
                fail(e);
                return;
            }
            syncs++;
            groupsWritten++;
            nextGroup = group + 1;
            end = start + bytes.limit();
            for (int k = first; k < i; k++) {
                index(start + at[k - first], batch.get(k).batch().generation(), group);
            }
            long ticket = batch.get(i - 1).ticket();
            durableLock.lock();
            try {
                durable = ticket;
                durableMoved.signalAll();
            } finally {
                durableLock.unlock();
            }
            try {
                listener.accept(ticket);
            } catch (RuntimeException e) {
                LOG.error("redo log {}: durable listener failed", name, e);
            }
        }
    }

    private void runCheckpoint(CheckpointRequest cp) {
        if (failure != null) {
            cp.done().completeExceptionally(new IOException("redo log failed earlier", failure));
            return;
        }
        // first record to keep: generations are increasing, so binary search
        int lo = 0;
        int hi = indexed;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (generations[mid] <= cp.generation()) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        int keep = lo;
        if (keep == 0) {
            cp.done().complete(null); // nothing to discard
            return;
        }
        long from = keep < indexed ? offsets[keep] : end;
        long firstGroup = keep < indexed ? groups[keep] : nextGroup;
        IOException notDurable = null;
        try {
            AtomicFiles.replace(file, out -> {
                writeFully(out, RedoLogCodec.header(firstGroup), 0);
                long n = end - from;
                long copied = 0;
                while (copied < n) {
                    copied += channel.transferTo(
                            from + copied, n - copied, out.position(RedoLogCodec.HEADER_SIZE + copied));
                }
            });
        } catch (AtomicFiles.DirectoryNotDurableException e) {
            notDurable = e; // renamed, but the directory fsync failed: handled below, after the switch
        } catch (IOException e) {
            // the old log is untouched (no temporary file left) and still in use: only this checkpoint failed
            cp.done().completeExceptionally(e);
            return;
        }
        // Renamed: from here the new file is the log; failing to switch to it, or to make the rename
        // durable (the directory fsync), fails the log.
        try {
            FileChannel fresh = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileChannel old = channel;
            channel = fresh;
            old.close();
            if (notDurable != null) {
                throw notDurable;
            }
        } catch (IOException e) {
            fail(e);
            cp.done().completeExceptionally(e);
            return;
        }
        long shift = from - RedoLogCodec.HEADER_SIZE;
        int left = indexed - keep;
        for (int k = 0; k < left; k++) {
            offsets[k] = offsets[keep + k] - shift;
            generations[k] = generations[keep + k];
            groups[k] = groups[keep + k];
        }
        indexed = left;
        end -= shift;
        allocated = end; // the new file holds the records only
        LOG.debug("redo log {}: checkpoint at generation {}, {} batches kept", name, cp.generation(), left);
        cp.done().complete(null);
    }

    private void fail(IOException e) {
        durableLock.lock();
        try {
            if (failure == null) {
                LOG.error("redo log {} failed: no commit is durable from now on", name, e);
                failure = e;
            }
            durableMoved.signalAll();
        } finally {
            durableLock.unlock();
        }
        // waiters are woken; pending checkpoints learn of it when the writer drains them
    }

    private void index(long offset, long generation, long group) {
        if (indexed == offsets.length) {
            int n = indexed * 2;
            offsets = Arrays.copyOf(offsets, n);
            generations = Arrays.copyOf(generations, n);
            groups = Arrays.copyOf(groups, n);
        }
        offsets[indexed] = offset;
        generations[indexed] = generation;
        groups[indexed] = group;
        indexed++;
    }

    /** Writes zeros over {@code [from, to)}. */
    private static void writeZeros(FileChannel ch, long from, long to) throws IOException {
        for (long p = from; p < to; ) {
            ByteBuffer z = ZEROS.duplicate();
            z.limit((int) Math.min(z.capacity(), to - p));
            p += ch.write(z, p);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            p += ch.write(b, p);
        }
    }
}
