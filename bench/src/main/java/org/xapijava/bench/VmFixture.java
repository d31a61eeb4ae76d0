package org.xapijava.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.xapijava.db.Database;
import org.xapijava.model.Datamodel;
import org.xapijava.model.rpc.Marshal;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.XType;

/**
 * The shared data of the benchmarks: a pool of {@value #HOSTS} hosts and {@code n} VMs shaped like
 * those of a real XCP-ng pool (HVM guests with platform flags, boot params, a few other_config keys,
 * VIF/VBD/console refs, tags, allowed operations, a recommendations XML), created through the real
 * {@link Database} API. Deterministic (seeded), so every run and every benchmark sees the same bytes.
 *
 * <p>Not thread-safe while populating; the database it fills is.
 */
public final class VmFixture {
    public static final int HOSTS = 4;
    /** The size the issue asks about. */
    public static final int DEFAULT_VMS = 10_000;
    /** VMs created per transaction when populating (durable databases then write few, large batches). */
    private static final int BATCH = 500;

    public static final XType VM_RECORDS = XType.parse("(VM ref -> VM record) map");
    public static final XType VM_RECORD = XType.parse("VM record");

    private static final List<String> ALLOWED_RUNNING = List.of(
            "snapshot",
            "clone",
            "copy",
            "checkpoint",
            "pause",
            "clean_shutdown",
            "clean_reboot",
            "hard_shutdown",
            "hard_reboot",
            "suspend",
            "pool_migrate",
            "migrate_send",
            "changing_dynamic_range",
            "changing_VCPUs_live",
            "send_sysrq",
            "send_trigger");
    private static final List<String> ALLOWED_HALTED = List.of(
            "snapshot",
            "clone",
            "copy",
            "create_template",
            "start",
            "start_on",
            "export",
            "destroy",
            "changing_memory_limits",
            "changing_static_range",
            "changing_VCPUs",
            "changing_NVRAM",
            "changing_shadow_memory",
            "provision");
    private static final String RECOMMENDATIONS = "<restrictions><restriction field=\"memory-static-max\" "
            + "max=\"1649267441664\"/><restriction field=\"vcpus-max\" max=\"32\"/><restriction "
            + "property=\"number-of-vbds\" max=\"255\"/><restriction property=\"number-of-vifs\" max=\"7\"/>"
            + "<restriction field=\"has-vendor-device\" value=\"false\"/></restrictions>";

    public final List<String> hostRefs = new ArrayList<>();
    public final List<String> vmRefs = new ArrayList<>();

    private final Random rnd = new Random(42);

    /** Creates {@value #HOSTS} hosts and {@code vms} VMs in {@code db}. */
    public static VmFixture populate(Database db, int vms) {
        VmFixture f = new VmFixture();
        db.transact(tx -> {
            for (int h = 0; h < HOSTS; h++) {
                String ref = f.ref();
                f.hostRefs.add(ref);
                Map<String, Object> host = new LinkedHashMap<>();
                host.put("uuid", f.uuid());
                host.put("name_label", "xcp-ng-0" + (h + 1));
                host.put("hostname", "xcp-ng-0" + (h + 1));
                host.put("address", "192.168.10." + (11 + h));
                tx.create("host", ref, host);
            }
        });
        for (int from = 0; from < vms; from += BATCH) {
            int to = Math.min(vms, from + BATCH);
            List<Map.Entry<String, Map<String, Object>>> rows = new ArrayList<>(to - from);
            for (int i = from; i < to; i++) {
                String ref = f.ref();
                f.vmRefs.add(ref);
                rows.add(Map.entry(ref, f.vm(i)));
            }
            db.transact(tx -> {
                for (var r : rows) tx.create("VM", r.getKey(), r.getValue());
            });
        }
        return f;
    }

    /** An in-memory database holding the default fixture. */
    public static Database inMemory(int vms) {
        Database db = Database.empty(Datamodel.get());
        populate(db, vms);
        return db;
    }

    /** The RPC value the server sends for {@code VM.get_all_records}: {@code (VM ref -> VM record) map}. */
    public static Object allRecordsRpc(Database db) {
        return Marshal.toRpc(VM_RECORDS, db.getAllRecords("VM"));
    }

    /** The RPC value of {@code VM.get_record} of one VM. */
    public static Object recordRpc(Database db, String ref) {
        return Marshal.toRpc(VM_RECORD, db.getRecord("VM", ref));
    }

    /**
     * The same tree as the baselines must be given it: ints as decimal strings (Xapi sends every XenAPI int
     * as an untyped XML-RPC string; Apache XML-RPC would write a {@code Long} as the {@code <i8>} extension,
     * which it refuses unless extensions are on).
     */
    public static Object intsAsStrings(Object v) {
        return switch (v) {
            case Long l -> Long.toString(l);
            case Map<?, ?> m -> {
                Map<String, Object> out = new LinkedHashMap<>(m.size() * 4 / 3 + 1);
                m.forEach((k, x) -> out.put((String) k, intsAsStrings(x)));
                yield out;
            }
            case List<?> l -> {
                List<Object> out = new ArrayList<>(l.size());
                for (Object x : l) out.add(intsAsStrings(x));
                yield out;
            }
            case DateTime d -> d.toString();
            default -> v;
        };
    }

    private String uuid() {
        return new UUID(rnd.nextLong(), rnd.nextLong()).toString();
    }

    private String ref() {
        return "OpaqueRef:" + uuid();
    }

    private List<Object> refs(int n) {
        List<Object> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(ref());
        return out;
    }

    private Map<String, Object> vm(int i) {
        boolean running = i % 3 != 0;
        long gib = 1L << 30;
        long mem = (1 + i % 8) * gib;
        long vcpus = 1 + i % 4;
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("uuid", uuid());
        v.put("name_label", String.format("vm-%05d (Debian Bookworm 12)", i));
        v.put("name_description", "Web server " + i + " of the staging pool, installed from the template");
        v.put("power_state", running ? "Running" : "Halted");
        v.put(
                "allowed_operations",
                running
                        ? ALLOWED_RUNNING.stream().filter(this::knownOp).toList()
                        : ALLOWED_HALTED.stream().filter(this::knownOp).toList());
        v.put("user_version", 1L);
        v.put("is_a_template", false);
        v.put("resident_on", running ? hostRefs.get(i % HOSTS) : "OpaqueRef:NULL");
        v.put("affinity", hostRefs.get(i % HOSTS));
        v.put("memory_overhead", 20_971_520L + i % 7 * 1_048_576L);
        v.put("memory_target", running ? mem : 0L);
        v.put("memory_static_max", mem);
        v.put("memory_dynamic_max", mem);
        v.put("memory_dynamic_min", mem);
        v.put("memory_static_min", 1L << 29);
        v.put("VCPUs_params", Map.of("weight", "256", "cap", "0"));
        v.put("VCPUs_max", vcpus);
        v.put("VCPUs_at_startup", vcpus);
        v.put("actions_after_shutdown", "destroy");
        v.put("actions_after_reboot", "restart");
        v.put("actions_after_crash", "restart");
        v.put("consoles", running ? refs(1) : List.of());
        v.put("VIFs", refs(2));
        v.put("VBDs", refs(3));
        v.put("HVM_boot_policy", "BIOS order");
        v.put("HVM_boot_params", Map.of("order", "cdn", "firmware", "bios"));
        v.put("HVM_shadow_multiplier", 1.0);
        Map<String, Object> platform = new LinkedHashMap<>();
        platform.put("timeoffset", "0");
        platform.put("device-model", "qemu-upstream-compat");
        platform.put("videoram", "8");
        platform.put("apic", "true");
        platform.put("pae", "true");
        platform.put("acpi", "1");
        platform.put("hpet", "true");
        platform.put("viridian", "false");
        platform.put("nx", "true");
        platform.put("vga", "std");
        platform.put("cores-per-socket", Long.toString(vcpus));
        platform.put("secureboot", "false");
        v.put("platform", platform);
        Map<String, Object> other = new LinkedHashMap<>();
        other.put("base_template_name", "Debian Bookworm 12");
        other.put("mac_seed", uuid());
        other.put("install-methods", "cdrom,nfs,http,ftp");
        other.put("linux_template", "true");
        other.put("import_task", "OpaqueRef:NULL");
        v.put("other_config", other);
        v.put("domid", running ? (long) (i + 1) : -1L);
        v.put("domarch", running ? "x64" : "");
        v.put("is_control_domain", false);
        v.put("metrics", ref());
        v.put("guest_metrics", running ? ref() : "OpaqueRef:NULL");
        v.put("recommendations", RECOMMENDATIONS);
        v.put("snapshots", i % 10 == 0 ? refs(2) : List.of());
        v.put("tags", i % 2 == 0 ? List.of("prod", "web") : List.of("staging"));
        v.put(
                "bios_strings",
                Map.of(
                        "bios-vendor",
                        "Xen",
                        "bios-version",
                        "",
                        "system-manufacturer",
                        "Xen",
                        "system-product-name",
                        "HVM domU",
                        "hp-rombios",
                        ""));
        v.put("generation_id", running ? rnd.nextLong(1L << 40) + ":" + rnd.nextLong(1L << 40) : "0:0");
        v.put("domain_type", "hvm");
        v.put("has_vendor_device", false);
        return v;
    }

    private boolean knownOp(String op) {
        return Datamodel.get().enumDef("vm_operations").values().contains(op);
    }
}
