package org.xapijava.server.xenops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.xapijava.db.Database;
import org.xapijava.model.Datamodel;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;

/** vm_placement.ml's categories, bias and draws, worked out by hand. */
class HostChooserTest {
    private static final long MIB = 1024L * 1024;
    private static final DoubleSupplier BEST = () -> 0.0;
    private final Database db = Database.empty(Datamodel.get());
    private final String pool = Refs.fresh();
    private final List<String> asked = new ArrayList<>();

    private String host(long totalMib) {
        String metrics = Refs.fresh();
        db.create(
                "host_metrics", metrics, Map.of("uuid", UUID.randomUUID().toString(), "memory_total", totalMib * MIB));
        String ref = Refs.fresh();
        db.create("host", ref, Map.of("uuid", UUID.randomUUID().toString(), "metrics", metrics));
        return ref;
    }

    private void pool(String master, boolean bias) {
        db.create(
                "pool", pool, Map.of("uuid", UUID.randomUUID().toString(), "master", master, "coordinator_bias", bias));
    }

    /** A VM of fixed memory ({@code dmin} to {@code smax} MiB), optionally resident on {@code on}. */
    private String vm(long dminMib, long smaxMib, String on) {
        String ref = Refs.fresh();
        Map<String, Object> v = new HashMap<>(Map.of(
                "uuid", UUID.randomUUID().toString(),
                "memory_static_min", dminMib * MIB,
                "memory_dynamic_min", dminMib * MIB,
                "memory_dynamic_max", smaxMib * MIB,
                "memory_static_max", smaxMib * MIB));
        if (on != null) v.put("resident_on", on);
        db.create("VM", ref, v);
        return ref;
    }

    private String choose(String vm, Set<String> refused) {
        return HostChooser.choose(db.snapshot(), vm, BEST, (h, memoryCheck) -> {
            asked.add(h + (memoryCheck ? "" : " no-memory"));
            return !refused.contains(h);
        });
    }

    @Test
    void theMasterIsBiasedAgainstUnlessThePoolSaysNot() {
        String master = host(4096);
        String member = host(4096);
        pool(master, true);
        String vm = vm(512, 1024, null);
        assertEquals(member, choose(vm, Set.of()));
        // without the bias the two are equal and the first in the database's order comes first (a stable sort)
        db.set("pool", pool, "coordinator_bias", false);
        assertEquals(db.snapshot().all("host").get(0), choose(vm, Set.of()));
    }

    @Test
    void hostsWhereEveryGuestFitsAtStaticMaxComeBeforeTheOthers() {
        String master = host(8192);
        String small = host(2048);
        String big = host(4096);
        pool(master, true);
        vm(1024, 1024, master);
        vm(1024, 1024, master);
        vm(1024, 1024, master);
        vm(1024, 1024, master);
        vm(1024, 1024, master);
        vm(1024, 1024, master);
        // master: 8192 - 7 * 1024 = 1024, biased to 511 MiB (in bytes); big: 3072 MiB; small: 1024 MiB
        String vm = vm(1024, 1024, null);
        assertEquals(big, choose(vm, Set.of()));
        // refused, big is not offered again: small comes next in the same category, then the master
        assertEquals(small, choose(vm, Set.of(big)));
        assertEquals(master, choose(vm, Set.of(big, small)));
        assertEquals(List.of(big, big, small, big, small, master), asked);
    }

    @Test
    void theAffinityHostWinsWhileItsGuestsNeedNotShrinkBelowTheirMinimum() {
        String master = host(8192);
        String tight = host(1024);
        pool(master, true);
        vm(256, 768, tight);
        String vm = vm(256, 512, null);
        db.set("VM", vm, "affinity", tight);
        // tight: 1024 available for 512..1280: compressed, but possible
        assertEquals(tight, choose(vm, Set.of()));
        // a resident VM that cannot shrink far enough takes it out of the affinity category
        vm(768, 768, tight);
        assertEquals(master, choose(vm, Set.of()));
    }

    @Test
    void withoutAHostThatFitsTheMemoryCheckIsDroppedThenNoHostsAvailable() {
        String master = host(4096);
        String member = host(4096);
        pool(master, true);
        String vm = vm(512, 512, null);
        asked.clear();
        String picked = HostChooser.choose(db.snapshot(), vm, BEST, (h, memoryCheck) -> {
            asked.add(h + (memoryCheck ? "" : " no-memory"));
            return !memoryCheck && h.equals(master);
        });
        assertEquals(master, picked);
        assertEquals(List.of(member, master, member + " no-memory", master + " no-memory"), asked);
        ApiError e = assertThrows(ApiError.class, () -> choose(vm, Set.of(master, member)));
        assertEquals(List.of("NO_HOSTS_AVAILABLE"), e.description());
    }

    @Test
    void drawsAreScaledToTheCategorysLength() {
        assertEquals(0, HostChooser.index(() -> 0.0, 3));
        assertEquals(1, HostChooser.index(() -> 0.5, 3));
        assertEquals(2, HostChooser.index(() -> 0.999, 3));
        assertThrows(IllegalArgumentException.class, () -> HostChooser.index(() -> 1.0, 3));
        double r = HostChooser.biasedRandom();
        assertTrue(r >= 0.0 && r < 1.0);
    }

    @Test
    void possibleIsTheCompressionRatioInThousandths() {
        var s = new HostChooser.Summary("h", false, 0, 1000, 3000, 3000, 2000);
        assertEquals(500, HostChooser.possible(s));
        assertEquals(1000, HostChooser.possible(new HostChooser.Summary("h", false, 0, 1000, 3000, 3000, 3000)));
        assertEquals(-1, HostChooser.possible(new HostChooser.Summary("h", false, 0, 1000, 3000, 3000, 999)));
        // the master's value: (v - 1) / 2 truncated towards zero, as OCaml's Int64.div
        assertEquals(-1, HostChooser.biased(new HostChooser.Summary("h", true, 0, 0, 0, 0, 0), -2, true));
        assertEquals(0, HostChooser.biased(new HostChooser.Summary("h", true, 0, 0, 0, 0, 0), 0, true));
    }

    @Test
    void versionsCompareAsXapisIntLists() {
        assertEquals(List.of(3, 4, 0, 1, 2), HostVersions.numbers("3.4.0-1.2"));
        assertEquals(List.of(1, 2), HostVersions.numbers("1.x.2"));
        assertTrue(HostVersions.compare(List.of(1, 2), List.of(1, 2, 0)) < 0);
        assertEquals(0, HostVersions.compare(List.of(3, 4), List.of(3, 4)));
        assertTrue(HostVersions.atLeast(
                Map.of("platform_version", "3.4.0", "xapi", "25.6"),
                Map.of("platform_version", "3.4.0", "xapi", "25.5")));
        assertFalse(HostVersions.atLeast(
                Map.of("platform_version", "3.3.9", "xapi", "26.0"),
                Map.of("platform_version", "3.4.0", "xapi", "25.5")));
    }
}
