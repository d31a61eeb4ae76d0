package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.Datamodel;

/**
 * Kills a child JVM that makes durable writes with SIGKILL at random moments, 20 times over the same
 * data directory; after each kill the database is reopened (as a restarting daemon would) and every
 * write the child had acknowledged must be there.
 */
class DatabaseCrashTest {
    private static final int ROUNDS = 20;

    @Test
    void noAcknowledgedWriteIsLostAcrossKills(@TempDir Path dir) throws Exception {
        Random rnd = new Random(42);
        Map<String, String> names = new HashMap<>(); // ref -> name_label acknowledged
        Map<String, String> descriptions = new HashMap<>(); // ref -> last acknowledged name_description
        int acknowledged = 0;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int round = 0; round < ROUNDS; round++) {
            Process p = new ProcessBuilder(
                            java,
                            "-cp",
                            System.getProperty("java.class.path"),
                            DatabaseCrashChild.class.getName(),
                            dir.toString(),
                            "4")
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            // the kill lands at a random moment after the child started acknowledging writes
            java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
            long delayMillis = 50 + rnd.nextInt(700);
            Thread killer = Thread.ofPlatform().start(() -> {
                try {
                    started.await(20, TimeUnit.SECONDS);
                    TimeUnit.MILLISECONDS.sleep(delayMillis);
                } catch (InterruptedException ignored) {
                    // kill at once
                }
                // SIGKILL through the process handle: Process.destroyForcibly() would also close our end
                // of the child's stdout and lose acknowledgements still in the pipe
                p.toHandle().destroyForcibly();
            });
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    String[] w = line.split(" ", 3);
                    if (w.length != 3) continue; // the last line may be cut by the kill
                    if (w[0].equals("CREATE")) names.put(w[1], w[2]);
                    else if (w[0].equals("SET")) descriptions.put(w[1], w[2]);
                    else continue;
                    acknowledged++;
                    started.countDown();
                }
            }
            killer.join();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            try (DurableDatabase store =
                    DurableDatabase.open(Datamodel.get(), DurableDatabase.Options.inDirectory(dir))) {
                Database db = store.database();
                for (Map.Entry<String, String> e : names.entrySet()) {
                    assertTrue(db.exists("VM", e.getKey()), "round " + round + ": lost VM " + e.getValue());
                    assertEquals(e.getValue(), db.get("VM", e.getKey(), "name_label"));
                    assertEquals("a%b'c", ((Map<?, ?>) db.get("VM", e.getKey(), "other_config")).get("with space"));
                }
                for (Map.Entry<String, String> e : descriptions.entrySet()) {
                    // a later, unacknowledged write of the same field may have landed: compare suffix order
                    String got = (String) db.get("VM", e.getKey(), "name_description");
                    assertTrue(
                            got.equals(e.getValue()) || later(got, e.getValue()),
                            "round " + round + ": lost write " + e.getValue() + ", found " + got);
                }
                List<String> all = db.getAll("VM");
                assertTrue(all.size() >= names.size());
            }
        }
        assertTrue(acknowledged > 100, "the child acknowledged only " + acknowledged + " writes");
    }

    /** Whether description {@code a} was written after {@code b} by the same thread of the same run. */
    private static boolean later(String a, String b) {
        String[] x = a.split("-");
        String[] y = b.split("-");
        if (x.length != 4 || y.length != 4 || !x[1].equals(y[1]) || !x[2].equals(y[2])) {
            // written by another run or thread: any later run overwrote it legitimately only if it is ours
            return !x[1].equals(y[1]) || !x[2].equals(y[2]);
        }
        return Integer.parseInt(x[3]) > Integer.parseInt(y[3]);
    }
}
