package org.xapijava.server.xenops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.xapijava.db.Database;
import org.xapijava.model.Datamodel;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;

/** memory_check.ml's figures, worked out by hand from memory.ml's models. */
class MemoryCheckTest {
    private static final long MIB = 1024L * 1024;
    private final Database db = Database.empty(Datamodel.get());
    private final String host = Refs.fresh();

    MemoryCheckTest() {
        String metrics = Refs.fresh();
        db.create("host_metrics", metrics, Map.of("uuid", UUID.randomUUID().toString(), "memory_total", 4096 * MIB));
        db.create(
                "host",
                host,
                Map.of("uuid", UUID.randomUUID().toString(), "metrics", metrics, "memory_overhead", 64 * MIB));
    }

    private String vm(String domainType, long dmin, long smax, double multiplier, Map<String, Object> extra) {
        String ref = Refs.fresh();
        Map<String, Object> v = new HashMap<>(Map.of(
                "uuid",
                UUID.randomUUID().toString(),
                "domain_type",
                domainType,
                "memory_dynamic_min",
                dmin,
                "memory_dynamic_max",
                smax,
                "memory_static_max",
                smax,
                "VCPUs_max",
                1L,
                "HVM_shadow_multiplier",
                multiplier));
        v.putAll(extra);
        db.create("VM", ref, v);
        return ref;
    }

    /** The VM is made first: a snapshot taken before would not hold it. */
    private long start(String vm) {
        return MemoryCheck.startMemoryBytes(db.snapshot(), vm);
    }

    private long overhead(String vm) {
        return MemoryCheck.overheadBytes(db.snapshot(), vm);
    }

    @Test
    void startMemoryIsTheFootprintAtDynamicMin() {
        // shadow: ceil((256 + 2 * 256) / 256) = 3 MiB; overhead: 1 + 1 + 3 + ceil(38 / 256) = 6 MiB
        assertEquals((256 + 6) * MIB, start(vm("hvm", 256 * MIB, 256 * MIB, 1.0, Map.of())));
        // dynamic min 128 MiB counts, static max sizes the shadow
        assertEquals((128 + 6) * MIB, start(vm("hvm", 128 * MIB, 256 * MIB, 1.0, Map.of())));
        // multiplier 1.5: shadow floor(3 * 1.5) = 4
        assertEquals((256 + 7) * MIB, start(vm("pvh", 256 * MIB, 256 * MIB, 1.5, Map.of())));
        // PV: no extra internal MiB, the VM's multiplier is not used
        assertEquals((256 + 5) * MIB, start(vm("pv", 256 * MIB, 256 * MIB, 1.5, Map.of())));
        // PV-in-PVH: static max, plus the shim 23 + 256 / 90 = 25 MiB
        assertEquals((256 + 6 + 25) * MIB, start(vm("pv_in_pvh", 128 * MIB, 256 * MIB, 1.0, Map.of())));
        // a VM's recorded overhead
        assertEquals(6 * MIB, overhead(vm("hvm", 128 * MIB, 256 * MIB, 1.0, Map.of())));
    }

    @Test
    void freeMemoryCountsResidentAndScheduledVms() {
        vm("pv", 1024 * MIB, 1024 * MIB, 1.0, Map.of("resident_on", host, "memory_overhead", 10 * MIB));
        vm("hvm", 512 * MIB, 1024 * MIB, 1.0, Map.of("scheduled_to_be_resident_on", host, "memory_overhead", 6 * MIB));
        vm(
                "hvm",
                512 * MIB,
                1024 * MIB,
                1.0,
                Map.of("resident_on", Refs.fresh(), "memory_overhead", 6 * MIB)); // elsewhere
        String me = vm(
                "hvm",
                2048 * MIB,
                2048 * MIB,
                1.0,
                Map.of("scheduled_to_be_resident_on", host, "memory_overhead", 12 * MIB));
        long free = (4096 - 64 - 1034 - 518) * MIB;
        assertEquals(
                free,
                MemoryCheck.hostFreeMemoryBytes(db.snapshot(), host, me),
                "the VM's own reservation is not counted");
        assertEquals(free - 2060 * MIB, MemoryCheck.hostFreeMemoryBytes(db.snapshot(), host, null));
        // the VM needs 2048 + 1 + 1 + ceil((256 + 4096) / 256) + 1 = 2068 MiB; 2480 are free
        MemoryCheck.assertEnoughMemory(db.snapshot(), me, host);
        String big = vm("hvm", 3000 * MIB, 3000 * MIB, 1.0, Map.of());
        long needed = (3000 + 1 + 1 + 25 + 1) * MIB; // shadow ceil((256 + 6000) / 256) = 25
        ApiError e = assertThrows(ApiError.class, () -> MemoryCheck.assertEnoughMemory(db.snapshot(), big, host));
        assertEquals(
                List.of("HOST_NOT_ENOUGH_FREE_MEMORY", Long.toString(needed), Long.toString(free - 2060 * MIB)),
                e.description());
    }
}
