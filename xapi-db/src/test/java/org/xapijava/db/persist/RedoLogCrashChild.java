package org.xapijava.db.persist;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * The process {@link RedoLogCrashTest} kills: appends batches from several threads forever and prints
 * {@code A <generation>} only after {@code awaitDurable} returned, and {@code C <generation>} before it
 * starts a checkpoint at that generation.
 */
public final class RedoLogCrashChild {
    private RedoLogCrashChild() {}

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        RedoLog log = RedoLog.open(file); // truncates what the last kill tore
        List<DeltaBatch> existing = RedoLog.replay(file, -1);
        long start = existing.isEmpty() ? 0 : existing.get(existing.size() - 1).generation();
        PrintStream out = System.out;
        Object writerLock = new Object();
        long[] gen = {start};
        long[] acked = {0};
        for (int t = 0; t < threads; t++) {
            boolean checkpointer = t == 0;
            Thread.ofPlatform().start(() -> {
                try {
                    int n = 0;
                    while (true) {
                        long ticket;
                        long g;
                        synchronized (writerLock) {
                            g = ++gen[0];
                            ticket = log.append(RedoLogTest.batch(g));
                        }
                        log.awaitDurable(ticket);
                        synchronized (out) {
                            out.println("A " + g);
                            out.flush();
                            acked[0] = Math.max(acked[0], g);
                        }
                        if (checkpointer && ++n % 40 == 0) {
                            long cp;
                            synchronized (out) {
                                cp = acked[0] - 25;
                                out.println("C " + cp);
                                out.flush();
                            }
                            log.checkpoint(cp);
                        }
                    }
                } catch (Throwable e) {
                    e.printStackTrace();
                    System.exit(3);
                }
            });
        }
    }
}
