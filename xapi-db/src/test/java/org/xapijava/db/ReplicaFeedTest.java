package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.db.TestSupport.DM;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.xapijava.model.api.VM;
import org.xapijava.model.types.Refs;

class ReplicaFeedTest {

    /** A master with a VM, a VDI, a VBD between them and a session; a replica that took its full image. */
    private static Database[] pair() {
        Database master = Database.empty(DM);
        String vm = TestSupport.vm(master, "vm");
        String vdi = TestSupport.vdi(master, "disk");
        TestSupport.vbd(master, vm, vdi);
        master.create("session", Refs.fresh(), Map.of("uuid", "s1"));
        Database replica = Database.replica(DM);
        replica.applyFeed(ReplicaAssert.wire(master.feed(replica.feedEpoch(), replica.generation())));
        ReplicaAssert.assertSameState(master, replica);
        return new Database[] {master, replica};
    }

    @Test
    void anEmptyReplicaGetsAFullImageThenIncrementalBatches() {
        Database master = Database.empty(DM);
        Database replica = Database.replica(DM);
        assertEquals(null, replica.feedEpoch());
        FeedBatch first = master.feed(replica.feedEpoch(), replica.generation());
        assertTrue(first.full());
        replica.applyFeed(ReplicaAssert.wire(first));
        ReplicaAssert.assertSameState(master, replica);

        String vm = TestSupport.vm(master, "a");
        master.addToMap("VM", vm, "other_config", "k", "v");
        FeedBatch next = master.feed(replica.feedEpoch(), replica.generation());
        assertFalse(next.full());
        assertEquals(1, next.rowCount());
        assertSame(next, master.feed(replica.feedEpoch(), replica.generation()), "members at one generation share");
        replica.applyFeed(ReplicaAssert.wire(next));
        ReplicaAssert.assertSameState(master, replica);
        assertEquals(Map.of("k", "v"), replica.get(vm, VM.OTHER_CONFIG));

        FeedBatch none = master.feed(replica.feedEpoch(), replica.generation());
        assertTrue(none.isEmpty());
        assertEquals(0, none.rowCount());
        replica.applyFeed(ReplicaAssert.wire(none));
        ReplicaAssert.assertSameState(master, replica);
    }

    @Test
    void aBatchThatDoesNotFollowIsRefusedAndChangesNothing() {
        Database[] p = pair();
        Database master = p[0];
        Database replica = p[1];
        long g0 = replica.generation();
        TestSupport.vm(master, "b");
        FeedBatch b1 = master.feed(master.feedEpoch(), g0);
        TestSupport.vm(master, "c");
        FeedBatch b2 = master.feed(master.feedEpoch(), b1.to());
        Snapshot before = replica.snapshot();
        FeedBatch.GapException gap =
                assertThrows(FeedBatch.GapException.class, () -> replica.applyFeed(ReplicaAssert.wire(b2)));
        assertTrue(gap.getMessage().contains("generation " + b1.to()), gap.getMessage());
        assertSame(before, replica.snapshot());

        Database other = Database.empty(DM);
        TestSupport.vm(other, "x");
        FeedBatch foreign = other.feed(other.feedEpoch(), 0);
        assertFalse(foreign.full());
        assertThrows(FeedBatch.GapException.class, () -> replica.applyFeed(foreign));
        assertSame(before, replica.snapshot());

        replica.applyFeed(ReplicaAssert.wire(b1));
        replica.applyFeed(ReplicaAssert.wire(b2));
        ReplicaAssert.assertSameState(master, replica);
        assertThrows(FeedBatch.GapException.class, () -> replica.applyFeed(b1), "applied twice");
    }

    @Test
    void anotherMasterIncarnationOrAGenerationAheadGivesAFullImage() {
        Database[] p = pair();
        Database master = p[0];
        Database replica = p[1];
        assertTrue(master.feed(master.feedEpoch(), master.generation() + 1).full(), "since ahead");
        assertTrue(master.feed(master.feedEpoch(), -1).full(), "negative since");
        assertTrue(master.feed("another-epoch", replica.generation()).full(), "another epoch");

        // the master restarted from an older state: other epoch, lower generation, fewer rows
        Database restarted = Database.empty(DM);
        TestSupport.vm(restarted, "only");
        FeedBatch full = restarted.feed(replica.feedEpoch(), replica.generation());
        assertTrue(full.full());
        assertTrue(full.to() < replica.generation());
        replica.applyFeed(ReplicaAssert.wire(full));
        ReplicaAssert.assertSameState(restarted, replica);
        assertEquals(1, replica.getAll("VM").size());
        assertEquals(0, replica.getAll("VBD").size());
    }

    @Test
    void tombstonesTrimmedPastTheReplicaGiveAFullImage() {
        Database[] p = pair();
        Database master = p[0];
        Database replica = p[1];
        String vm = master.getAll("VM").get(0);
        // a follower that keeps up: windows of 100 deletions, trims (at 511 tombstones) inside its windows
        Database follower = Database.replica(DM);
        follower.applyFeed(master.feed(null, 0));
        long stale = replica.generation();
        for (int i = 0; i < 1300; i++) {
            String vbd = Refs.fresh();
            master.create("VBD", vbd, Map.of("uuid", "vbd-" + i, "VM", vm));
            master.delete("VBD", vbd);
            if (i == 200) {
                FeedBatch b = master.feed(replica.feedEpoch(), stale);
                assertFalse(b.full(), "tombstones still cover the replica");
            }
            if (i % 100 == 99) {
                FeedBatch b = master.feed(follower.feedEpoch(), follower.generation());
                assertFalse(b.full(), "a follower keeping up stays incremental");
                follower.applyFeed(ReplicaAssert.wire(b));
                ReplicaAssert.assertSameState(master, follower);
            }
        }
        assertTrue(master.snapshot()
                        .tables[master.snapshot().schema.table("VBD").index]
                        .deleted()
                        .droppedUpTo()
                >= stale);
        FeedBatch b = master.feed(replica.feedEpoch(), stale);
        assertTrue(b.full(), "tombstones of the window were trimmed");
        replica.applyFeed(ReplicaAssert.wire(b));
        ReplicaAssert.assertSameState(master, replica);
        // and both keep following, through further trims
        for (int i = 0; i < 600; i++) {
            String vbd = Refs.fresh();
            master.create("VBD", vbd, Map.of("uuid", "more-" + i, "VM", vm));
            master.delete("VBD", vbd);
        }
        for (Database r : List.of(replica, follower)) {
            FeedBatch n = master.feed(r.feedEpoch(), r.generation());
            assertTrue(n.full(), "600 deletions in one table: a second trim drops some");
            r.applyFeed(ReplicaAssert.wire(n));
            ReplicaAssert.assertSameState(master, r);
        }
    }

    @Test
    void aReplicaRefusesLocalWrites() {
        Database[] p = pair();
        Database master = p[0];
        Database replica = p[1];
        String vm = replica.getAll("VM").get(0);
        LocalDb db = new LocalDb(replica);
        List<Executable> writes = List.of(
                () -> replica.create("VM", Refs.fresh(), Map.of("uuid", "u")),
                () -> replica.set(vm, VM.NAME_LABEL, "x"),
                () -> replica.set("VM", vm, "name_label", "x"),
                () -> replica.delete("VM", vm),
                () -> replica.touch("VM", vm),
                () -> replica.addToSet("VM", vm, "tags", "t"),
                () -> replica.removeFromSet("VM", vm, "tags", "t"),
                () -> replica.addToMap("VM", vm, "other_config", "k", "v"),
                () -> replica.removeFromMap("VM", vm, "other_config", "k"),
                () -> replica.transact(tx -> {}),
                () -> replica.call(tx -> 1),
                () -> replica.deferringDurability(() -> replica.set(vm, VM.NAME_LABEL, "y")),
                () -> db.set(vm, VM.NAME_LABEL, "x"),
                () -> db.create(Refs.fresh(), FieldValues.of("VM").with(VM.NAME_LABEL, "n")),
                () -> db.delete("VM", vm));
        Snapshot before = replica.snapshot();
        for (Executable w : writes) {
            IllegalStateException e = assertThrows(IllegalStateException.class, w);
            assertTrue(e.getMessage().contains("replica"), e.getMessage());
        }
        assertSame(before, replica.snapshot());
        assertTrue(replica.isReplica());
        assertFalse(master.isReplica());
        assertThrows(IllegalStateException.class, () -> replica.feed(replica.feedEpoch(), 0));
        assertThrows(IllegalStateException.class, () -> master.applyFeed(master.feed(null, 0)));
        // reads work as usual
        assertEquals("vm", db.get(vm, VM.NAME_LABEL));
    }

    @Test
    void generationWaitersWakeWhenABatchIsApplied() throws Exception {
        Database[] p = pair();
        Database master = p[0];
        Database replica = p[1];
        long g = replica.generation();
        CompletableFuture<Long> future = replica.onGenerationAfter(g);
        CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                return replica.awaitGeneration(g, Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        assertFalse(future.isDone());
        master.set(master.getAll("VM").get(0), VM.NAME_LABEL, "renamed");
        replica.applyFeed(master.feed(replica.feedEpoch(), g));
        assertEquals(master.generation(), waiter.get(10, TimeUnit.SECONDS));
        assertEquals(master.generation(), future.get(10, TimeUnit.SECONDS));
    }

    @Test
    void theMasterHandsTheNextBatchWhenThereIsOne() throws Exception {
        Database[] p = pair();
        Database master = p[0];
        Database replica = p[1];
        long g = replica.generation();
        CompletableFuture<FeedBatch> next = master.nextFeed(replica.feedEpoch(), g);
        assertFalse(next.isDone());
        assertTrue(master.nextFeed("other", g).get(10, TimeUnit.SECONDS).full(), "a full image is ready at once");
        long t0 = System.nanoTime();
        FeedBatch timedOut = master.awaitFeed(replica.feedEpoch(), g, Duration.ofMillis(100));
        assertTrue(timedOut.isEmpty());
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(90));
        CompletableFuture<FeedBatch> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return master.awaitFeed(replica.feedEpoch(), g, Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        TestSupport.vm(master, "new");
        FeedBatch b = next.get(10, TimeUnit.SECONDS);
        assertEquals(master.generation(), b.to());
        assertEquals(b.to(), waiting.get(10, TimeUnit.SECONDS).to());
        replica.applyFeed(ReplicaAssert.wire(b));
        ReplicaAssert.assertSameState(master, replica);
    }

    @Test
    void aRowRecreatedWithTheSameUuidAndBackPointersFollow() {
        Database[] p = pair();
        Database master = p[0];
        Database replica = p[1];
        long g = replica.generation();
        String vm = master.getAll("VM").get(0);
        String uuid = master.get(vm, VM.UUID);
        String vdi = master.getAll("VDI").get(0);
        String vbd = master.getAll("VBD").get(0);
        master.transact(tx -> {
            tx.delete("VBD", vbd);
            tx.delete("VM", vm);
            tx.create("VM", "OpaqueRef:again", Map.of("uuid", uuid, "name_label", "vm"));
            tx.create("VBD", "OpaqueRef:vbd2", Map.of("uuid", "vbd2", "VM", "OpaqueRef:again", "VDI", vdi));
        });
        String vm2 = TestSupport.vm(master, "vm"); // a second row labelled "vm": the label's order matters
        FeedBatch b = master.feed(replica.feedEpoch(), g);
        assertEquals(2, b.deletionCount());
        replica.applyFeed(ReplicaAssert.wire(b));
        ReplicaAssert.assertSameState(master, replica);
        assertEquals("OpaqueRef:again", replica.getByUuid("VM", uuid));
        assertEquals(List.of("OpaqueRef:vbd2"), replica.get("OpaqueRef:again", VM.VBDS));
        assertEquals(List.of("OpaqueRef:again", vm2), replica.getByNameLabel("VM", "vm"));
        // a rename back and forth reorders the master's label list; the replica follows it
        long g2 = replica.generation();
        master.set("OpaqueRef:again", VM.NAME_LABEL, "tmp");
        master.set("OpaqueRef:again", VM.NAME_LABEL, "vm");
        replica.applyFeed(ReplicaAssert.wire(master.feed(replica.feedEpoch(), g2)));
        assertEquals(List.of(vm2, "OpaqueRef:again"), replica.getByNameLabel("VM", "vm"));
        ReplicaAssert.assertSameState(master, replica);
    }

    @Test
    void aTruncatedOrForeignStreamIsRefused() throws IOException {
        Database[] p = pair();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ReplicaAssert.CODEC.encode(p[0].feed(null, 0), out);
        byte[] bytes = out.toByteArray();
        assertThrows(
                EOFException.class,
                () -> ReplicaAssert.CODEC.decode(new ByteArrayInputStream(Arrays.copyOf(bytes, bytes.length - 3))));
        byte[] other = bytes.clone();
        other[5] ^= 1; // the schema fingerprint
        IOException e =
                assertThrows(IOException.class, () -> ReplicaAssert.CODEC.decode(new ByteArrayInputStream(other)));
        assertTrue(e.getMessage().contains("datamodel"), e.getMessage());
    }
}
