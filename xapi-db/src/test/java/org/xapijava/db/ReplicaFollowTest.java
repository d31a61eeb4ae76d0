package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.db.TestSupport.DM;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.api.VM;
import org.xapijava.model.types.Refs;

/** A replica following a live master: concurrent writers, readers of the replica, a master with a redo log. */
class ReplicaFollowTest {

    /**
     * Four writers commit transactions that each rename a VM and write the same name into its other_config; a
     * follower loops awaitFeed → wire → applyFeed; readers of the replica never see one without the other (each
     * batch is installed at once), and at the end the replica equals the master.
     */
    @Test
    void aFollowerKeepsUpWithConcurrentWritersAndReadersSeeWholeTransactions() throws Exception {
        Database master = Database.empty(DM);
        List<String> vms = new ArrayList<>();
        for (int i = 0; i < 20; i++) vms.add(TestSupport.vm(master, "vm" + i));
        Database replica = Database.replica(DM);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger batches = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread follower = Thread.ofPlatform().start(() -> {
            try {
                while (!stop.get() || replica.generation() != master.generation()) {
                    FeedBatch b = master.awaitFeed(replica.feedEpoch(), replica.generation(), Duration.ofMillis(50));
                    replica.applyFeed(ReplicaAssert.wire(b));
                    batches.incrementAndGet();
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        AtomicInteger torn = new AtomicInteger();
        AtomicInteger reads = new AtomicInteger();
        Thread reader = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                Snapshot s = replica.snapshot();
                for (String vm : s.all("VM")) {
                    String name = s.get(vm, VM.NAME_LABEL);
                    String copy = s.get(vm, VM.OTHER_CONFIG).get("name");
                    if (copy != null && !copy.equals(name)) torn.incrementAndGet();
                }
                reads.incrementAndGet();
            }
        });
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int id = w;
            writers.add(CompletableFuture.runAsync(() -> {
                for (int n = 0; n < 300; n++) {
                    String vm = vms.get((id * 7 + n) % vms.size());
                    String name = "w" + id + "-" + n;
                    master.transact(tx -> {
                        tx.set(vm, VM.NAME_LABEL, name);
                        tx.removeFromMap("VM", vm, "other_config", "name");
                        tx.addToMap("VM", vm, "other_config", "name", name);
                    });
                    if (n % 50 == 0) master.create("session", Refs.fresh(), Map.of("uuid", "s" + id + "-" + n));
                }
            }));
        }
        CompletableFuture.allOf(writers.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
        stop.set(true);
        follower.join(30_000);
        reader.join(30_000);
        if (failure.get() != null) throw new AssertionError(failure.get());
        assertFalse(follower.isAlive());
        assertEquals(0, torn.get(), "a reader saw half a transaction");
        assertTrue(reads.get() > 0 && batches.get() > 1, reads.get() + " reads, " + batches.get() + " batches");
        ReplicaAssert.assertSameState(master, replica);
    }

    /**
     * A master with a redo log publishes (and so feeds) only durable states; restarted from its files it is another
     * epoch, with its non-persistent tables empty and no tombstones: the replica gets a full image and matches it.
     */
    @Test
    void aRestartedDurableMasterSendsAFullImage(@TempDir Path dir) throws Exception {
        DurableDatabase.Options o = DurableDatabase.Options.inDirectory(dir);
        Database replica = Database.replica(DM);
        String vm;
        try (DurableDatabase store = DurableDatabase.open(DM, o)) {
            Database master = store.database();
            vm = TestSupport.vm(master, "persisted");
            String vdi = TestSupport.vdi(master, "disk");
            TestSupport.vbd(master, vm, vdi);
            master.create("session", Refs.fresh(), Map.of("uuid", "gone-after-restart"));
            String doomed = TestSupport.vm(master, "doomed");
            replica.applyFeed(ReplicaAssert.wire(master.feed(replica.feedEpoch(), replica.generation())));
            master.delete("VM", doomed);
            master.set(vm, VM.NAME_LABEL, "renamed");
            FeedBatch b = master.feed(replica.feedEpoch(), replica.generation());
            assertFalse(b.full());
            assertEquals(1, b.deletionCount());
            replica.applyFeed(ReplicaAssert.wire(b));
            ReplicaAssert.assertSameState(master, replica);
        }
        try (DurableDatabase again = DurableDatabase.open(DM, o)) {
            Database master = again.database();
            assertFalse(master.feedEpoch().equals(replica.feedEpoch()));
            FeedBatch b = master.feed(replica.feedEpoch(), replica.generation());
            assertTrue(b.full());
            replica.applyFeed(ReplicaAssert.wire(b));
            ReplicaAssert.assertSameState(master, replica);
            assertEquals(0, replica.getAll("session").size());
            assertEquals("renamed", replica.get(vm, VM.NAME_LABEL));
            master.set(vm, VM.NAME_LABEL, "after restart");
            replica.applyFeed(ReplicaAssert.wire(master.feed(replica.feedEpoch(), replica.generation())));
            ReplicaAssert.assertSameState(master, replica);
        }
    }
}
