package org.xapijava.db.persist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedoLogTest {
    @TempDir
    Path dir;

    static DeltaBatch batch(long gen) {
        return new DeltaBatch(
                gen,
                List.of(
                        new Delta.CreateRow(
                                "VM",
                                "OpaqueRef:" + gen,
                                Map.of("uuid", "u" + gen, "name__label", "VM é 日本 😀 " + gen, "empty", "")),
                        new Delta.WriteField("VM", "OpaqueRef:" + gen, "other_config", "(('k' 'v " + gen + "'))"),
                        new Delta.DeleteRow("VM", "OpaqueRef:" + (gen - 1))));
    }

    static List<Long> gens(List<DeltaBatch> batches) {
        return batches.stream().map(DeltaBatch::generation).toList();
    }

    static List<Long> range(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toList();
    }

    /** Writes batches {@code from..to}, each awaited (one group each). */
    static void writeEach(Path log, long from, long to) throws Exception {
        try (RedoLog r = RedoLog.open(log)) {
            for (long g = from; g <= to; g++) {
                r.awaitDurable(r.append(batch(g)));
            }
        }
    }

    static List<RedoLogReader.Entry> entries(Path log) throws IOException {
        List<RedoLogReader.Entry> out = new ArrayList<>();
        RedoLogReader.scan(log, out::add);
        return out;
    }

    @Test
    void appendAwaitReplayKeepsEveryDeltaExactly() throws Exception {
        Path log = dir.resolve("redo.log");
        writeEach(log, 1, 5);
        List<DeltaBatch> all = RedoLog.replay(log, 0);
        assertEquals(List.of(batch(1), batch(2), batch(3), batch(4), batch(5)), all);
        assertEquals(range(4, 5), gens(RedoLog.replay(log, 3)));
        // reopened, it continues after the last generation and refuses to go back
        try (RedoLog r = RedoLog.open(log)) {
            assertThrows(IllegalArgumentException.class, () -> r.append(batch(5)));
            r.awaitDurable(r.append(batch(9)));
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 9L), gens(RedoLog.replay(log, 0)));
    }

    @Test
    void manyThreadsAllDurableAndGroupCommitGroups() throws Exception {
        Path log = dir.resolve("redo.log");
        int threads = 16;
        int perThread = 150;
        AtomicLong durableSeen = new AtomicLong();
        try (RedoLog r = RedoLog.open(log)) {
            r.setDurableListener(durableSeen::set);
            Object writerLock = new Object(); // the database's writer lock
            AtomicLong gen = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<List<Long>>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(pool.submit(() -> {
                    List<Long> mine = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        long ticket;
                        long g;
                        synchronized (writerLock) {
                            g = gen.incrementAndGet();
                            ticket = r.append(batch(g));
                        }
                        r.awaitDurable(ticket);
                        assertTrue(r.durableTicket() >= ticket);
                        mine.add(g);
                    }
                    return mine;
                }));
            }
            List<Long> acked = new ArrayList<>();
            for (Future<List<Long>> f : fs) {
                acked.addAll(f.get());
            }
            pool.shutdown();
            int n = threads * perThread;
            assertEquals(n, acked.size());
            assertEquals(n, r.durableTicket());
            assertTrue(r.syncCount() < n / 2, "no grouping: " + r.syncCount() + " fsyncs for " + n + " batches");
            assertEquals(r.groupCount(), r.syncCount());
            Collections.sort(acked);
            assertEquals(range(1, n), acked);
        }
        // the listener runs after the waiters are woken: look at it once the writer thread has stopped
        assertEquals(threads * perThread, durableSeen.get());
        assertEquals(range(1, threads * perThread), gens(RedoLog.replay(log, 0)));
    }

    @Test
    void tornTailIsDroppedAtEveryByteOffsetOfTheLastRecord() throws Exception {
        Path log = dir.resolve("redo.log");
        writeEach(log, 1, 5);
        byte[] full = Files.readAllBytes(log);
        RedoLogReader.Entry last = entries(log).get(4);
        Path cut = dir.resolve("cut.log");
        for (long n = last.offset(); n < full.length; n++) {
            Files.write(cut, Arrays.copyOf(full, (int) n));
            assertEquals(range(1, 4), gens(RedoLog.replay(cut, 0)), "cut at " + n);
            try (RedoLog r = RedoLog.open(cut)) {
                assertEquals(last.offset(), Files.size(cut), "torn tail not truncated at " + n);
                r.awaitDurable(r.append(batch(6)));
            }
            assertEquals(List.of(1L, 2L, 3L, 4L, 6L), gens(RedoLog.replay(cut, 0)));
        }
    }

    @Test
    void aGroupMissingItsEndIsDroppedWhole() throws Exception {
        Path log = dir.resolve("redo.log");
        writeEach(log, 1, 2);
        try (RedoLog r = RedoLog.open(log)) {
            long t = 0;
            for (long g = 3; g <= 8; g++) {
                t = r.append(batch(g)); // queued together: most likely one group
            }
            r.awaitDurable(t);
        }
        List<RedoLogReader.Entry> es = entries(log);
        RedoLogReader.Entry lastEntry = es.get(es.size() - 1);
        // cut inside the last record: the complete records of its group before it go too
        Path cut = dir.resolve("cut.log");
        Files.write(cut, Arrays.copyOf(Files.readAllBytes(log), (int) lastEntry.offset() + 3));
        List<Long> kept = gens(RedoLog.replay(cut, 0));
        long groupStart = es.stream()
                .filter(e -> e.group() == lastEntry.group())
                .findFirst()
                .orElseThrow()
                .batch()
                .generation();
        assertEquals(range(1, groupStart - 1), kept);
        RedoLogReader.Scan s = RedoLogReader.scan(cut, e -> {});
        assertTrue(s.torn());
        assertTrue(s.tornReason().contains("without its end mark"), s.tornReason());
    }

    @Test
    void badChecksumOrGarbageInTheTailIsDropped() throws Exception {
        Path log = dir.resolve("redo.log");
        writeEach(log, 1, 5);
        byte[] full = Files.readAllBytes(log);
        RedoLogReader.Entry last = entries(log).get(4);
        byte[] flipped = full.clone();
        flipped[(int) last.offset() + 30] ^= 0x01;
        Path bad = dir.resolve("bad.log");
        Files.write(bad, flipped);
        assertEquals(range(1, 4), gens(RedoLog.replay(bad, 0)));
        try (RedoLog r = RedoLog.open(bad)) {
            assertEquals(last.offset(), Files.size(bad));
        }
        // garbage and zeros after the last good record
        byte[] junk = new byte[5000];
        new java.util.Random(7).nextBytes(junk);
        for (byte[] tail : List.of(junk, new byte[4096], new byte[] {0, 0, 0, 21})) {
            byte[] withTail = Arrays.copyOf(full, full.length + tail.length);
            System.arraycopy(tail, 0, withTail, full.length, tail.length);
            Files.write(bad, withTail);
            assertEquals(range(1, 5), gens(RedoLog.replay(bad, 0)));
            try (RedoLog r = RedoLog.open(bad)) {
                assertEquals(full.length, Files.size(bad));
            }
        }
    }

    @Test
    void badChecksumInTheMiddleIsAnErrorWithTheOffset() throws Exception {
        Path log = dir.resolve("redo.log");
        writeEach(log, 1, 5);
        byte[] full = Files.readAllBytes(log);
        RedoLogReader.Entry second = entries(log).get(1);
        for (int delta : new int[] {0, 5, 40}) { // the length field, the CRC, the payload
            byte[] b = full.clone();
            b[(int) second.offset() + delta] ^= 0x10;
            Path bad = dir.resolve("bad.log");
            Files.write(bad, b);
            RedoLogFormatException e = assertThrows(RedoLogFormatException.class, () -> RedoLog.replay(bad, 0));
            assertEquals(second.offset(), e.offset());
            assertTrue(e.getMessage().contains("bad.log"), e.getMessage());
            assertThrows(RedoLogFormatException.class, () -> RedoLog.open(bad).close());
            assertEquals(b.length, Files.size(bad), "a damaged log must not be truncated");
        }
    }

    @Test
    void wrongMagicOrVersionIsAnError() throws Exception {
        Path log = dir.resolve("redo.log");
        writeEach(log, 1, 2);
        byte[] full = Files.readAllBytes(log);
        byte[] magic = full.clone();
        magic[0] = 'Y';
        Path bad = dir.resolve("bad.log");
        Files.write(bad, magic);
        RedoLogFormatException e = assertThrows(RedoLogFormatException.class, () -> RedoLog.replay(bad, 0));
        assertEquals(0, e.offset());
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
        byte[] version = full.clone();
        version[11] = 2;
        Files.write(bad, version);
        e = assertThrows(RedoLogFormatException.class, () -> RedoLog.open(bad));
        assertEquals(8, e.offset());
        assertTrue(e.getMessage().contains("version 2"), e.getMessage());
        Files.write(bad, new byte[0]);
        assertThrows(RedoLogFormatException.class, () -> RedoLog.replay(bad, 0));
    }

    @Test
    void theZerosWrittenAheadAreUnusedSpaceCutAtCloseAndAfterACrash() throws Exception {
        Path log = dir.resolve("redo.log");
        Path crashed = dir.resolve("crashed.log");
        try (RedoLog r = RedoLog.open(log)) {
            for (long g = 1; g <= 3; g++) r.awaitDurable(r.append(batch(g)));
            RedoLogReader.Scan scan = RedoLogReader.scan(log, e -> {});
            assertTrue(scan.validEnd() > entries(log).get(2).offset());
            assertTrue(Files.size(log) > scan.validEnd() + RedoLog.PREALLOCATE_BYTES / 2, "space written ahead");
            assertEquals(RedoLogReader.UNUSED_TAIL, scan.tornReason());
            assertEquals(range(1, 3), gens(RedoLog.replay(log, 0)));
            Files.copy(log, crashed); // what a kill -9 leaves
        }
        RedoLogReader.Scan closed = RedoLogReader.scan(log, e -> {});
        assertFalse(closed.torn(), "a clean close keeps no zeros");
        try (RedoLog r = RedoLog.open(crashed)) {
            assertEquals(closed.validEnd(), Files.size(crashed), "the zeros are cut at open");
            r.awaitDurable(r.append(batch(4)));
        }
        assertEquals(range(1, 4), gens(RedoLog.replay(crashed, 0)));
    }

    @Test
    void generationsMustIncreaseOnReplay() throws Exception {
        // Two logs spliced: the second's records carry lower generations than the first's.
        Path a = dir.resolve("a.log");
        Path b = dir.resolve("b.log");
        writeEach(a, 10, 11);
        writeEach(b, 1, 2);
        byte[] ab = Files.readAllBytes(a);
        byte[] bb = Files.readAllBytes(b);
        byte[] spliced = Arrays.copyOf(ab, ab.length + bb.length - RedoLogCodec.HEADER_SIZE);
        System.arraycopy(bb, RedoLogCodec.HEADER_SIZE, spliced, ab.length, bb.length - RedoLogCodec.HEADER_SIZE);
        Files.write(a, spliced);
        RedoLogFormatException e = assertThrows(RedoLogFormatException.class, () -> RedoLog.replay(a, 0));
        assertEquals(ab.length, e.offset());
    }

    @Test
    void checkpointDiscardsOldBatchesAndReplayStillWorks() throws Exception {
        Path log = dir.resolve("redo.log");
        try (RedoLog r = RedoLog.open(log)) {
            for (long g = 1; g <= 10; g++) {
                r.awaitDurable(r.append(batch(g)));
            }
            long before = Files.size(log);
            r.checkpoint(6);
            assertTrue(Files.size(log) < before);
            assertEquals(range(7, 10), gens(RedoLog.replay(log, 0)));
            r.awaitDurable(r.append(batch(11)));
            r.checkpoint(3); // nothing to discard
            assertEquals(range(7, 11), gens(RedoLog.replay(log, 0)));
            r.checkpoint(11); // everything
            assertEquals(List.of(), RedoLog.replay(log, 0));
            r.awaitDurable(r.append(batch(12)));
        }
        assertEquals(List.of(12L), gens(RedoLog.replay(log, 0)));
        try (RedoLog r = RedoLog.open(log)) {
            r.awaitDurable(r.append(batch(13)));
        }
        assertEquals(List.of(batch(12), batch(13)), RedoLog.replay(log, 0));
        try (var s = Files.list(dir)) {
            assertEquals(
                    List.of("redo.log"), s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void crashDuringCheckpointLeavesAReplayableLog() throws Exception {
        Path log = dir.resolve("redo.log");
        writeEach(log, 1, 6);
        byte[] full = Files.readAllBytes(log);
        // Crash before the rename: a complete or partial copy lies next to the intact log.
        Path temp = dir.resolve("redo.log.98765.tmp");
        Files.write(temp, Arrays.copyOf(full, full.length / 2));
        assertEquals(range(4, 6), gens(RedoLog.replay(log, 3)));
        try (RedoLog r = RedoLog.open(log)) {
            assertFalse(Files.exists(temp));
            r.awaitDurable(r.append(batch(7)));
            r.checkpoint(3);
        }
        // After the rename: the new file alone holds what is above the checkpoint.
        assertEquals(range(4, 7), gens(RedoLog.replay(log, 0)));
        assertEquals(range(4, 7), gens(RedoLog.replay(log, 3)));
    }

    @Test
    void ioFailureFailsEveryWaiterAndNothingIsAcknowledged() throws Exception {
        Path log = dir.resolve("redo.log");
        AtomicInteger forces = new AtomicInteger();
        RedoLog.Faults faults = new RedoLog.Faults() {
            @Override
            public void beforeForce() throws IOException {
                if (forces.incrementAndGet() >= 3) {
                    throw new IOException("injected: disk gone");
                }
            }
        };
        try (RedoLog r = RedoLog.open(log, faults)) {
            r.awaitDurable(r.append(batch(1)));
            r.awaitDurable(r.append(batch(2)));
            long t3 = r.append(batch(3));
            IOException e = assertThrows(IOException.class, () -> r.awaitDurable(t3));
            assertTrue(e.getCause().getMessage().contains("injected"), e.toString());
            long t4 = r.append(batch(4));
            assertThrows(IOException.class, () -> r.awaitDurable(t4));
            assertThrows(IOException.class, () -> r.checkpoint(1));
            r.awaitDurable(2); // durable before the failure: still fine
            assertEquals(2, r.durableTicket());
        }
        List<Long> replayed = gens(RedoLog.replay(log, 0));
        assertTrue(replayed.equals(range(1, 2)) || replayed.equals(range(1, 3)), replayed.toString());
    }

    @Test
    void closedLogRefusesAppends() throws Exception {
        RedoLog r = RedoLog.open(dir.resolve("redo.log"));
        long t = r.append(batch(1));
        r.close();
        r.awaitDurable(t); // close flushes what is queued
        assertThrows(IllegalStateException.class, () -> r.append(batch(2)));
        assertThrows(IllegalArgumentException.class, () -> r.awaitDurable(5));
    }

    @Test
    void throughput() throws Exception {
        for (int threads : new int[] {1, 16}) {
            Path log = dir.resolve("tp-" + threads + ".log");
            int perThread = threads == 1 ? 300 : 200;
            try (RedoLog r = RedoLog.open(log)) {
                Object lock = new Object();
                AtomicLong gen = new AtomicLong();
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                long t0 = System.nanoTime();
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    fs.add(pool.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            long ticket;
                            synchronized (lock) {
                                ticket = r.append(batch(gen.incrementAndGet()));
                            }
                            r.awaitDurable(ticket);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) {
                    f.get();
                }
                double s = (System.nanoTime() - t0) / 1e9;
                pool.shutdown();
                System.out.printf(
                        "redo log: %d thread(s): %.0f durable batches/s (%d fsyncs for %d batches)%n",
                        threads, threads * perThread / s, r.syncCount(), threads * perThread);
            }
        }
    }
}
