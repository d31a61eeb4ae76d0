package org.xapijava.db;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.xapijava.model.Datamodel;
import org.xapijava.model.types.Refs;

/**
 * The process {@link DatabaseCrashTest} kills: opens the durable database in a directory and, from
 * several threads, creates VMs and rewrites fields as fast as it can, printing each write to stdout
 * only after the call that made it returned (i.e. after it was acknowledged). Runs until killed.
 * Output lines: {@code CREATE <ref> <name_label>} and {@code SET <ref> <name_description>}.
 */
public final class DatabaseCrashChild {
    private DatabaseCrashChild() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        Datamodel dm = Datamodel.get();
        // an eager flush policy, so that kills also land in the middle of state.db writes and checkpoints
        DurableDatabase store = DurableDatabase.open(
                dm, DurableDatabase.Options.inDirectory(dir).withPolicy(FlushPolicy.eager(Duration.ofMillis(150))));
        Database db = store.database();
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, "UTF-8");
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            ts.add(Thread.ofPlatform().start(() -> {
                List<String> mine = new ArrayList<>();
                for (int i = 0; ; i++) {
                    if (i % 3 == 2 && !mine.isEmpty()) {
                        String ref = mine.get(i % mine.size());
                        String desc = "d-" + run + "-" + id + "-" + i;
                        db.set("VM", ref, "name_description", desc);
                        synchronized (out) {
                            out.println("SET " + ref + " " + desc);
                            out.flush();
                        }
                    } else {
                        String ref = Refs.fresh();
                        String name = "vm-" + run + "-" + id + "-" + i;
                        Map<String, Object> v = new HashMap<>();
                        v.put("uuid", UUID.randomUUID().toString());
                        v.put("name_label", name);
                        v.put("other_config", Map.of("run", run, "with space", "a%b'c"));
                        db.create("VM", ref, v);
                        mine.add(ref);
                        synchronized (out) {
                            out.println("CREATE " + ref + " " + name);
                            out.flush();
                        }
                    }
                }
            }));
        }
        for (Thread t : ts) t.join();
    }
}
