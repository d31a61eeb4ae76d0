package org.xapijava.server.ops;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.xapijava.db.Database;
import org.xapijava.db.LocalDb;
import org.xapijava.model.Datamodel;
import org.xapijava.model.types.Refs;
import org.xapijava.server.Services;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.Caller;
import org.xapijava.server.task.TaskManager;

/**
 * A small database built directly (no server): a pool, a host with its metrics and control domain,
 * and helpers that add VMs and devices with explicit fields. Also the services and Locks the unit
 * tests run against. Not thread-safe while building.
 */
final class Fixture {
    static final Datamodel DM = Datamodel.get();

    final Database db = Database.empty(DM);
    final String pool = Refs.fresh();
    final String host = Refs.fresh();
    final String hostMetrics = Refs.fresh();
    final String dom0 = Refs.fresh();
    final TaskManager tasks;
    final Services services;

    Fixture() {
        db.create(
                "host_metrics",
                hostMetrics,
                Map.of("uuid", uuid(), "live", true, "memory_total", 64L * 1024 * 1024 * 1024));
        // a host a halted PV VM can boot on (VM.start without a host chooses among those)
        db.create(
                "host",
                host,
                Map.of(
                        "uuid",
                        uuid(),
                        "name_label",
                        "h",
                        "enabled",
                        true,
                        "metrics",
                        hostMetrics,
                        "power_on_mode",
                        "",
                        "virtual_hardware_platform_versions",
                        List.of(0L),
                        "cpu_info",
                        Map.of("cpu_count", "8")));
        db.create("pool", pool, Map.of("uuid", uuid(), "master", host));
        dom0Vm();
        tasks = new TaskManager(new LocalDb(db), Clock.systemUTC(), host);
        services = new Services(
                DM,
                db,
                Clock.systemUTC(),
                host,
                pool,
                null,
                tasks,
                null,
                new AllowedOperations(db, new Checkers(false)),
                new LocalDb(db));
    }

    static String uuid() {
        return UUID.randomUUID().toString();
    }

    private void dom0Vm() {
        Map<String, Object> v = vmFields("Running");
        v.put("is_control_domain", true);
        v.put("resident_on", host);
        db.create("VM", dom0, v);
        db.set("host", host, "control_domain", dom0);
    }

    /** Fields of an ordinary PV VM in {@code power}, with a metrics record saying it booted PV. */
    Map<String, Object> vmFields(String power) {
        String metrics = Refs.fresh();
        db.create("VM_metrics", metrics, Map.of("uuid", uuid(), "current_domain_type", "pv"));
        Map<String, Object> v = new HashMap<>();
        v.put("uuid", uuid());
        v.put("name_label", "vm");
        v.put("power_state", power);
        v.put("domain_type", "pv");
        v.put("metrics", metrics);
        return v;
    }

    /** A new ordinary VM in {@code power}, with {@code extra} fields. */
    String vm(String power, Map<String, Object> extra) {
        String ref = Refs.fresh();
        Map<String, Object> v = vmFields(power);
        v.putAll(extra);
        db.create("VM", ref, v);
        return ref;
    }

    String vm(String power) {
        return vm(power, Map.of());
    }

    /** An SR of {@code type} with an SM driver of that type offering {@code features}, plugged on the host. */
    String sr(String type, List<String> features) {
        String sm = Refs.fresh();
        Map<String, Long> f = new HashMap<>();
        for (String x : features) f.put(x, 1L);
        if (db.snapshot().all("SM").stream()
                .noneMatch(s -> type.equals(db.snapshot().get("SM", s, "type")))) {
            db.create("SM", sm, Map.of("uuid", uuid(), "type", type, "features", f));
        }
        String sr = Refs.fresh();
        db.create("SR", sr, Map.of("uuid", uuid(), "name_label", "sr", "type", type));
        db.create("PBD", Refs.fresh(), Map.of("uuid", uuid(), "SR", sr, "host", host, "currently_attached", true));
        return sr;
    }

    String vdi(String sr, Map<String, Object> extra) {
        String ref = Refs.fresh();
        Map<String, Object> v =
                new HashMap<>(Map.of("uuid", uuid(), "name_label", "d", "SR", sr, "type", "user", "managed", true));
        v.putAll(extra);
        db.create("VDI", ref, v);
        return ref;
    }

    /** A disk VBD of {@code vm} on {@code vdi} (null: an empty CD drive). */
    String vbd(String vm, String vdi, Map<String, Object> extra) {
        String ref = Refs.fresh();
        Map<String, Object> v = new HashMap<>();
        v.put("uuid", uuid());
        v.put("VM", vm);
        v.put("VDI", vdi == null ? Refs.NULL : vdi);
        v.put("empty", vdi == null);
        v.put("type", vdi == null ? "CD" : "Disk");
        v.put("mode", "RW");
        v.put("unpluggable", true);
        v.put("userdevice", "0");
        v.putAll(extra);
        db.create("VBD", ref, v);
        return ref;
    }

    String network() {
        String ref = Refs.fresh();
        db.create("network", ref, Map.of("uuid", uuid(), "name_label", "n"));
        return ref;
    }

    String vif(String vm, Map<String, Object> extra) {
        String ref = Refs.fresh();
        Map<String, Object> v = new HashMap<>(Map.of("uuid", uuid(), "VM", vm, "network", network(), "device", "0"));
        v.putAll(extra);
        db.create("VIF", ref, v);
        return ref;
    }

    /** Sets a VM's current_operations (task → op, in the given order: newest first, as Xapi keeps them). */
    void ops(String cls, String ref, Map<String, String> current) {
        db.set(cls, ref, "current_operations", current);
    }

    /** Locks with the given wait timings and no power-on plugin. */
    Locks locks(Locks.Timings t) {
        return new Locks(
                services.db(), services.hostRef(), services.poolRef(), services.tasks(), services.allowed(), t);
    }

    /** Short waits for tests: standard 1–2 s (cut short by wakeups), fail quickly 300 ms × up to 2 s. */
    static Locks.Timings fast() {
        return new Locks.Timings(
                new Locks.Policy(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(30)),
                new Locks.Policy(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(60)),
                new Locks.Policy(Duration.ZERO, Duration.ofMillis(50), Duration.ofNanos(1)));
    }

    /** A call of {@code message} under a fresh task (as the dispatcher gives async-capable messages). */
    CallContext call(String message) {
        String task = tasks.create(message, "", null, null, Map.of());
        return new CallContext(
                services.data(), services.tasks(), DM.message(message), message, Caller.internal(), null, task);
    }

    /** A call of {@code message} without a task. */
    CallContext callWithoutTask(String message) {
        return new CallContext(
                services.data(), services.tasks(), DM.message(message), message, Caller.internal(), null, null);
    }

    Object get(String cls, String ref, String field) {
        return db.snapshot().get(cls, ref, field);
    }
}
