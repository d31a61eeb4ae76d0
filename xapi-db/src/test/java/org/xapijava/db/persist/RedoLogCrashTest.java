package org.xapijava.db.persist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 at random moments: every generation a child acknowledged after {@code awaitDurable} must be
 * replayed, and the log must never be found damaged. The same log is reused across the runs, so each
 * child also recovers (truncates) what the previous kill left.
 */
class RedoLogCrashTest {
    private static final int RUNS = Integer.getInteger("crash.runs", 20);

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedGenerationSurvivesSigkill() throws Exception {
        Path log = dir.resolve("redo.log");
        Random rnd = new Random();
        TreeSet<Long> acked = new TreeSet<>();
        long checkpointed = -1; // the highest checkpoint a child may have completed
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long t0 = System.nanoTime();
        for (int run = 0; run < RUNS; run++) {
            Path err = dir.resolve("child-" + run + ".err");
            Process p = new ProcessBuilder(
                            java,
                            "-XX:TieredStopAtLevel=1",
                            "-Xshare:auto",
                            "-cp",
                            System.getProperty("java.class.path"),
                            RedoLogCrashChild.class.getName(),
                            log.toString(),
                            Integer.toString(1 + rnd.nextInt(8)))
                    .redirectError(err.toFile())
                    .start();
            ConcurrentSkipListSet<Long> thisRun = new ConcurrentSkipListSet<>();
            AtomicLong cp = new AtomicLong(-1);
            CountDownLatch firstAck = new CountDownLatch(1);
            Thread reader = Thread.ofPlatform().start(() -> {
                try (BufferedReader in =
                        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        if (line.startsWith("A ")) {
                            thisRun.add(Long.parseLong(line.substring(2)));
                            firstAck.countDown();
                        } else if (line.startsWith("C ")) {
                            cp.accumulateAndGet(Long.parseLong(line.substring(2)), Math::max);
                        }
                    }
                } catch (java.io.IOException ignored) {
                    // the child died
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!firstAck.await(50, TimeUnit.MILLISECONDS) && p.isAlive() && System.nanoTime() < deadline) {
                // waiting for the child's first acknowledgement
            }
            if (firstAck.getCount() > 0) {
                p.destroyForcibly();
                fail("child acknowledged nothing: " + Files.readString(err));
            }
            Thread.sleep(rnd.nextInt(200));
            p.toHandle().destroyForcibly(); // SIGKILL, without closing our end of the child's stdout
            p.waitFor();
            reader.join();
            String stderr = Files.readString(err);
            assertTrue(!stderr.contains("Exception"), "child failed: " + stderr);
            acked.addAll(thisRun);
            checkpointed = Math.max(checkpointed, cp.get());

            List<DeltaBatch> all = RedoLog.replay(log, -1); // strictly increasing, or it throws
            for (DeltaBatch b : all) {
                assertEquals(RedoLogTest.batch(b.generation()), b);
            }
            TreeSet<Long> replayed = new TreeSet<>();
            for (DeltaBatch b : RedoLog.replay(log, checkpointed)) {
                replayed.add(b.generation());
            }
            for (long g : acked.tailSet(checkpointed, false)) {
                if (!replayed.contains(g) && System.getProperty("crash.debug") != null) {
                    Files.copy(log, Path.of(System.getProperty("crash.debug")), StandardCopyOption.REPLACE_EXISTING);
                    Files.writeString(
                            Path.of(System.getProperty("crash.debug") + ".acked"),
                            acked.toString() + "\ncp=" + checkpointed + "\nthisRun=" + thisRun + "\ncpThisRun="
                                    + cp.get());
                }
                if (!replayed.contains(g)) {
                    RedoLogReader.Scan scan = RedoLogReader.scan(log, e -> {});
                    fail("run " + run + ": acknowledged generation " + g + " lost (checkpoint " + checkpointed
                            + ", this run's checkpoint " + cp.get() + ", this run acked "
                            + (thisRun.isEmpty() ? "nothing" : thisRun.first() + ".." + thisRun.last()) + "; log holds "
                            + (replayed.isEmpty()
                                    ? "nothing"
                                    : replayed.first() + ".." + replayed.last() + " (" + replayed.size() + ")")
                            + "; " + scan + ")");
                }
            }
        }
        System.out.printf(
                "crash test: %d SIGKILLs, %d acknowledged generations, all replayed, %.1f s%n",
                RUNS, acked.size(), (System.nanoTime() - t0) / 1e9);
        assertTrue(acked.size() > RUNS);
    }
}
