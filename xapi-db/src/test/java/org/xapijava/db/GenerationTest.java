package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.db.TestSupport.DM;
import static org.xapijava.db.TestSupport.apiError;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.db.internal.Tombstones;
import org.xapijava.model.api.VM;
import org.xapijava.model.types.Refs;

class GenerationTest {

    @Test
    void createWriteNoOpTouchDeleteStampExactly() {
        Database db = Database.empty(DM);
        assertEquals(0, db.generation());
        String vm = TestSupport.vm(db, "a");
        assertEquals(1, db.generation());
        assertEquals(new DbReader.RowStat(0, 0), db.snapshot().stat("VM", vm));

        db.set(vm, VM.NAME_LABEL, "b");
        assertEquals(2, db.generation());
        assertEquals(new DbReader.RowStat(0, 1), db.snapshot().stat("VM", vm));

        db.set(vm, VM.NAME_LABEL, "b"); // unchanged: skipped
        assertEquals(2, db.generation());

        assertEquals(2, db.touch("VM", vm));
        assertEquals(4, db.generation());
        assertEquals(new DbReader.RowStat(0, 2), db.snapshot().stat("VM", vm));

        db.delete("VM", vm);
        assertEquals(5, db.generation());
        assertFalse(db.exists("VM", vm));
        Changes c = db.changesSince(List.of("VM"), 0);
        assertEquals(List.of(new Change("VM", vm, Change.Op.DEL, 4)), c.changes());
        assertEquals(4, c.token());
    }

    @Test
    void transactionStampsEveryChangeWithItsOwnGeneration() {
        Database db = Database.empty(DM);
        String[] refs = {Refs.fresh(), Refs.fresh()};
        db.transact(tx -> {
            tx.create("VM", refs[0], Map.of("uuid", "u0"));
            tx.create("VM", refs[1], Map.of("uuid", "u1"));
            tx.set(refs[0], VM.NAME_LABEL, "x");
        });
        assertEquals(3, db.generation());
        assertEquals(new DbReader.RowStat(0, 2), db.snapshot().stat("VM", refs[0]));
        assertEquals(new DbReader.RowStat(1, 1), db.snapshot().stat("VM", refs[1]));
    }

    @Test
    void tombstonesAreCappedLikeXapi() {
        Tombstones t = Tombstones.EMPTY;
        for (int i = 0; i < 510; i++) t = t.add(i, i, "r" + i);
        assertEquals(510, t.size());
        t = t.add(510, 510, "r510");
        assertEquals(257, t.size());
        List<String> kept = new ArrayList<>();
        t.forEachSince(-1, x -> kept.add(x.ref()));
        assertEquals("r510", kept.get(0));
        assertEquals("r254", kept.get(256));
        // after the trim Xapi's counter no longer includes its sentinel: 511 entries before the next one
        for (int i = 511; i < 765; i++) t = t.add(i, i, "r" + i);
        assertEquals(511, t.size());
        t = t.add(765, 765, "r765");
        assertEquals(257, t.size());
    }

    @Test
    void deletionsThroughTheDatabaseAreCapped() {
        Database db = Database.empty(DM);
        List<String> vms = new ArrayList<>();
        for (int i = 0; i < 600; i++) vms.add(TestSupport.vm(db, "v" + i));
        for (String v : vms) db.delete("VM", v);
        // 510 kept, the 511th trims to 257, then 89 more
        Changes c = db.changesSince(List.of("VM"), 599);
        assertEquals(346, c.changes().size());
        assertTrue(c.changes().stream().allMatch(x -> x.op() == Change.Op.DEL));
        assertEquals(0, db.snapshot().count("VM"));
    }

    @Test
    void backPointersFollowVbdCreateMoveDelete() {
        Database db = Database.empty(DM);
        String vm1 = TestSupport.vm(db, "vm1");
        String vm2 = TestSupport.vm(db, "vm2");
        String vdi = TestSupport.vdi(db, "disk");
        long g = db.generation();
        String vbd = TestSupport.vbd(db, vm1, vdi);
        assertEquals(List.of(vbd), db.get(vm1, VM.VBDS));
        assertEquals(List.of(vbd), db.get("VDI", vdi, "VBDs"));
        assertEquals(g, db.snapshot().stat("VM", vm1).modified());
        assertEquals(g, db.snapshot().stat("VDI", vdi).modified());
        assertEquals(g + 1, db.generation());

        Changes c = db.changesSince(List.of("VM"), g - 1);
        assertEquals(List.of(new Change("VM", vm1, Change.Op.MOD, g)), c.changes());

        String vbd2 = TestSupport.vbd(db, vm1, vdi);
        assertEquals(List.of(vbd2, vbd), db.get(vm1, VM.VBDS), "Xapi prepends");

        g = db.generation();
        db.set("VBD", vbd, "VM", vm2);
        assertEquals(List.of(vbd2), db.get(vm1, VM.VBDS));
        assertEquals(List.of(vbd), db.get(vm2, VM.VBDS));
        assertEquals(g, db.snapshot().stat("VM", vm1).modified());
        assertEquals(g, db.snapshot().stat("VM", vm2).modified());
        // Xapi re-adds every relation of the row: the VDI is touched too and the VBD moves to the front
        assertEquals(g, db.snapshot().stat("VDI", vdi).modified());
        assertEquals(List.of(vbd, vbd2), db.get("VDI", vdi, "VBDs"));
        assertEquals(g + 1, db.generation());

        g = db.generation();
        db.delete("VBD", vbd);
        assertEquals(List.of(), db.get(vm2, VM.VBDS));
        assertEquals(List.of(vbd2), db.get("VDI", vdi, "VBDs"));
        assertEquals(g, db.snapshot().stat("VM", vm2).modified());
    }

    @Test
    void backPointerToMissingObjectIsIgnored() {
        Database db = Database.empty(DM);
        String vbd = TestSupport.vbd(db, Refs.NULL, Refs.fresh());
        assertTrue(db.exists("VBD", vbd));
    }

    @Test
    void manyToManyIsMaintainedFromItsFirstSide() {
        Database db = Database.empty(DM);
        String vm = TestSupport.vm(db, "vm");
        String pci = Refs.fresh();
        db.create("PCI", pci, Map.of("uuid", "p1", "attached_VMs", List.of(vm)));
        assertEquals(List.of(pci), db.get(vm, VM.ATTACHED_PCIS));
        db.set("PCI", pci, "attached_VMs", List.of());
        assertEquals(List.of(), db.get(vm, VM.ATTACHED_PCIS));
        db.addToSet("PCI", pci, "attached_VMs", vm);
        assertEquals(List.of(pci), db.get(vm, VM.ATTACHED_PCIS));
        db.delete("PCI", pci);
        assertEquals(List.of(), db.get(vm, VM.ATTACHED_PCIS));
        // as in Xapi, writing the second side does not update the first
        String pci2 = Refs.fresh();
        db.create("PCI", pci2, Map.of("uuid", "p2"));
        db.set(vm, VM.ATTACHED_PCIS, List.of(pci2));
        assertEquals(List.of(), db.get("PCI", pci2, "attached_VMs"));
    }

    @Test
    void uuidsAreUniqueAndIndexed() {
        Database db = Database.empty(DM);
        String a = Refs.fresh();
        db.create("VM", a, Map.of("uuid", "u-1", "name_label", "x"));
        long g = db.generation();
        apiError(
                () -> db.create("VDI", Refs.fresh(), Map.of("uuid", "u-1")),
                "INTERNAL_ERROR",
                "Db_exn.Uniqueness_constraint_violation(\"VDI\", \"uuid\", \"u-1\")");
        String b = TestSupport.vm(db, "y");
        apiError(
                () -> db.set(b, VM.UUID, "u-1"),
                "INTERNAL_ERROR",
                "Db_exn.Uniqueness_constraint_violation(\"VM\", \"uuid\", \"u-1\")");
        assertEquals(g + 1, db.generation());
        assertEquals(a, db.getByUuid("VM", "u-1"));
        apiError(() -> db.getByUuid("VDI", "u-1"), "UUID_INVALID", "VDI", "u-1");
        apiError(() -> db.getByUuid("VM", "nope"), "UUID_INVALID", "VM", "nope");
        db.set(a, VM.UUID, "u-2");
        assertEquals(a, db.getByUuid("VM", "u-2"));
        apiError(() -> db.getByUuid("VM", "u-1"), "UUID_INVALID", "VM", "u-1");
        db.delete("VM", a);
        apiError(() -> db.getByUuid("VM", "u-2"), "UUID_INVALID", "VM", "u-2");
    }

    @Test
    void nameLabelIndexFollowsWrites() {
        Database db = Database.empty(DM);
        String a = TestSupport.vm(db, "same");
        String b = TestSupport.vm(db, "same");
        assertEquals(2, db.getByNameLabel("VM", "same").size());
        db.set(a, VM.NAME_LABEL, "other");
        assertEquals(List.of(b), db.getByNameLabel("VM", "same"));
        assertEquals(List.of(a), db.getByNameLabel("VM", "other"));
        db.delete("VM", b);
        assertEquals(List.of(), db.getByNameLabel("VM", "same"));
        assertEquals("VM", db.snapshot().classOf(a));
    }

    @Test
    void missingRowsAreHandleInvalid() {
        Database db = Database.empty(DM);
        String r = Refs.fresh();
        apiError(() -> db.get(r, VM.NAME_LABEL), "HANDLE_INVALID", "VM", r);
        apiError(() -> db.getRecord("VM", r), "HANDLE_INVALID", "VM", r);
        apiError(() -> db.set(r, VM.NAME_LABEL, "x"), "HANDLE_INVALID", "VM", r);
        apiError(() -> db.delete("VM", r), "HANDLE_INVALID", "VM", r);
        apiError(() -> db.touch("VM", r), "HANDLE_INVALID", "VM", r);
        String vm = TestSupport.vm(db, "x");
        apiError(() -> db.get("VDI", vm, "name_label"), "HANDLE_INVALID", "VDI", vm);
    }

    @Test
    void mapsAndSets() {
        Database db = Database.empty(DM);
        String vm = TestSupport.vm(db, "x");
        db.addToMap("VM", vm, "other_config", "a", "1");
        db.addToMap("VM", vm, "other_config", "b", "2");
        assertEquals(
                List.of("b", "a"), new ArrayList<>(db.get(vm, VM.OTHER_CONFIG).keySet()), "Xapi prepends");
        long g = db.generation();
        apiError(
                () -> db.addToMap("VM", vm, "other_config", "a", "1"),
                "MAP_DUPLICATE_KEY",
                "VM",
                "other_config",
                vm,
                "a");
        apiError(() -> db.addToMap("VM", vm, "other_config", "", "1"), "INTERNAL_ERROR", "Db_exn.Empty_key_in_map");
        assertEquals(g, db.generation());
        db.removeFromMap("VM", vm, "other_config", "a");
        assertEquals(Map.of("b", "2"), db.get(vm, VM.OTHER_CONFIG));
        db.removeFromMap("VM", vm, "other_config", "zz");
        assertEquals(g + 1, db.generation());
        db.addToSet("VM", vm, "tags", "t1");
        db.addToSet("VM", vm, "tags", "t1");
        assertEquals(List.of("t1"), db.get(vm, VM.TAGS));
        db.removeFromSet("VM", vm, "tags", "t1");
        assertEquals(List.of(), db.get(vm, VM.TAGS));
        assertEquals(g + 3, db.generation());
        db.addToMap("VM", vm, "blocked_operations", "start", "no");
        apiError(
                () -> db.addToMap("VM", vm, "blocked_operations", "start", "no"),
                "MAP_DUPLICATE_KEY",
                "VM",
                "blocked_operations",
                vm,
                "start");
    }

    @Test
    void typesAreCheckedBeforeAnythingChanges() {
        Database db = Database.empty(DM);
        String vm = TestSupport.vm(db, "x");
        long g = db.generation();
        assertThrows(IllegalArgumentException.class, () -> db.set("VM", vm, "memory_static_max", 5));
        assertThrows(IllegalArgumentException.class, () -> db.set("VM", vm, "power_state", "Sleeping"));
        assertThrows(IllegalArgumentException.class, () -> db.set("VM", vm, "tags", List.of(1L)));
        assertThrows(IllegalArgumentException.class, () -> db.set("VM", vm, "no_such_field", "x"));
        assertThrows(
                IllegalArgumentException.class, () -> db.create("VM", Refs.fresh(), Map.of("is_a_template", "true")));
        assertThrows(IllegalArgumentException.class, () -> db.addToMap("VM", vm, "blocked_operations", "fly", "x"));
        apiError(() -> db.set(vm, VM.NAME_LABEL, "bad\u0001char"), "INTERNAL_ERROR", "Db_exn.Invalid_value");
        assertEquals(g, db.generation());
        db.set("VM", vm, "power_state", "Running");
        db.set("VM", vm, "memory_static_max", 5L);
        assertEquals(5L, db.get(vm, VM.MEMORY_STATIC_MAX));
        // create refuses what write refuses (Xapi's create_row would truncate: a value changed without an error)
        long g2 = db.generation();
        String v2 = Refs.fresh();
        apiError(
                () -> db.create("VM", v2, Map.of("uuid", "u2", "name_label", "ok\u0000lost")),
                "INTERNAL_ERROR",
                "Db_exn.Invalid_value");
        assertEquals(g2, db.generation());
        assertEquals(false, db.exists("VM", v2));
    }

    @Test
    void storedCollectionsAreImmutableCopies() {
        Database db = Database.empty(DM);
        String vm = TestSupport.vm(db, "x");
        List<String> tags = new ArrayList<>(List.of("a"));
        db.set(vm, VM.TAGS, tags);
        tags.add("b");
        assertEquals(List.of("a"), db.get(vm, VM.TAGS));
        assertThrows(
                UnsupportedOperationException.class, () -> db.get(vm, VM.TAGS).add("c"));
    }

    @Test
    void failedTransactionChangesNothing() {
        Database db = Database.empty(DM);
        String vm = TestSupport.vm(db, "x");
        Snapshot before = db.snapshot();
        assertThrows(
                IllegalStateException.class,
                () -> db.transact(tx -> {
                    tx.set(vm, VM.NAME_LABEL, "changed");
                    tx.create("VM", Refs.fresh(), Map.of("uuid", "zz"));
                    assertEquals("changed", tx.get(vm, VM.NAME_LABEL), "a transaction sees its own writes");
                    throw new IllegalStateException("boom");
                }));
        assertEquals(before.generation(), db.generation());
        assertEquals("x", db.get(vm, VM.NAME_LABEL));
        assertEquals(1, db.getAll("VM").size());
        apiError(() -> db.getByUuid("VM", "zz"), "UUID_INVALID", "VM", "zz");
        // the failed transaction's writes do not leak into the next one
        db.set(vm, VM.NAME_DESCRIPTION, "d");
        assertEquals("x", db.get(vm, VM.NAME_LABEL));
    }

    @Test
    void createIsIdempotentForTheSameValues() {
        Database db = Database.empty(DM);
        String r = Refs.fresh();
        db.create("VM", r, Map.of("uuid", "u", "name_label", "a"));
        long g = db.generation();
        db.create("VM", r, Map.of("uuid", "u", "name_label", "a"));
        assertEquals(g, db.generation());
        apiError(
                () -> db.create("VM", r, Map.of("uuid", "u", "name_label", "b")),
                "INTERNAL_ERROR",
                "Db_exn.Integrity_violation(\"VM\", \"name__label\", \"a\")");
    }

    @Test
    void recordIsAWireView() {
        Database db = Database.empty(DM);
        String vm = TestSupport.vm(db, "x");
        Map<String, Object> rec = db.getRecord("VM", vm);
        List<String> wire =
                DM.cls("VM").wireFields().stream().map(f -> f.name()).toList();
        assertEquals(wire, new ArrayList<>(rec.keySet()));
        assertEquals("x", rec.get("name_label"));
        assertEquals("Halted", rec.get("power_state"));
        db.set(vm, VM.NAME_LABEL, "y");
        assertEquals("x", rec.get("name_label"), "records are snapshots");
        assertEquals(wire.size(), rec.size());
        assertFalse(rec.containsKey("no_such_field"));
    }
}
