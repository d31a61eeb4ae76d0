package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Message;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import com.xensource.xenapi.VMSS;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Snapshot;
import org.xapijava.server.TestHost;
import org.xapijava.server.dispatch.Caller;
import org.xapijava.server.dispatch.Dispatcher;

/**
 * Snapshot schedules through the Citrix SDK, as Xapi's {@code xapi_vmss.ml} checks them (the schedule's keys per
 * frequency, their values, {@code retained_snapshots} 1..10, the licence), and {@code snapshot_now} doing the
 * {@code vmss} plugin's work: schedule snapshots ({@code is_vmss_snapshot}) pruned to {@code retained_snapshots}
 * with their disks, {@code last_run_time}, the alerts on the schedule, and a type not supported yet failing as its
 * call does.
 */
class VmssSdkTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static ConcurrencySupport.Recording c;
    static SR sr;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        c = ConcurrencySupport.login(host);
        sr = Pool.getAll(c).iterator().next().getDefaultSR(c);
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    private static Map<String, String> map(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    private static VMSS.Record record(
            String name,
            Types.VmssType type,
            Types.VmssFrequency frequency,
            long retained,
            Map<String, String> schedule) {
        VMSS.Record v = new VMSS.Record();
        v.nameLabel = name;
        v.nameDescription = "";
        v.enabled = true;
        v.type = type;
        v.retainedSnapshots = retained;
        v.frequency = frequency;
        v.schedule = new HashMap<>(schedule);
        return v;
    }

    private static VMSS schedule(String name, Types.VmssFrequency frequency, Map<String, String> schedule)
            throws Exception {
        return VMSS.create(c, record(name, Types.VmssType.SNAPSHOT, frequency, 7, schedule));
    }

    private static Map<String, Object> row(VMSS v) {
        return host.server.services().db().snapshot().getRecord("VMSS", v.toWireString());
    }

    /** The error of {@code call}, having checked that the schedule's record is as it was. */
    private static List<String> refused(VMSS v, ConcurrencySupport.SdkCall call) throws Exception {
        Map<String, Object> before = row(v);
        List<String> e = ConcurrencySupport.errorOf(c, call);
        assertNotNull(e, "refused");
        assertEquals(before, row(v), "a refused call changes nothing");
        return e;
    }

    private static List<String> createRefused(VMSS.Record r) throws Exception {
        Set<VMSS> before = VMSS.getAll(c);
        List<String> e = ConcurrencySupport.errorOf(c, () -> VMSS.create(c, r));
        assertNotNull(e, "refused");
        assertEquals(before, VMSS.getAll(c), "nothing created");
        return e;
    }

    private static void withRestriction(String flag, String value, ConcurrencySupport.SdkCall body) throws Exception {
        String poolRef = host.server.services().poolRef();
        Map<String, String> restrictions = Pool.getAll(c).iterator().next().getRestrictions(c);
        Map<String, String> changed = new LinkedHashMap<>(restrictions);
        changed.put(flag, value);
        host.server.services().db().transact(tx -> tx.set("pool", poolRef, "restrictions", changed));
        try {
            body.run();
        } finally {
            host.server.services().db().transact(tx -> tx.set("pool", poolRef, "restrictions", restrictions));
        }
    }

    @Test
    void createChecksTheScheduleAndFillsItIn() throws Exception {
        VMSS weekly = schedule("weekly", Types.VmssFrequency.WEEKLY, map());
        assertEquals(map("hour", "0", "min", "0", "days", "Monday"), weekly.getSchedule(c));
        assertEquals(new Date(0), weekly.getLastRunTime(c));
        assertEquals(Set.of(), weekly.getVMs(c));
        VMSS spelt = schedule(
                "spelt", Types.VmssFrequency.WEEKLY, map("days", "friday,MONDAY", "min", "15", "hour", "0x0A"));
        assertEquals(map("hour", "0x0A", "min", "15", "days", "Friday,Monday"), spelt.getSchedule(c));
        VMSS hourly = schedule("hourly", Types.VmssFrequency.HOURLY, map("min", "45"));
        assertEquals(map("min", "45"), hourly.getSchedule(c));

        Types.VmssType snap = Types.VmssType.SNAPSHOT;
        assertEquals(
                List.of("INVALID_VALUE", "schedule:hour", "3"),
                createRefused(record("x", snap, Types.VmssFrequency.HOURLY, 7, map("hour", "3"))));
        assertEquals(
                List.of("INVALID_VALUE", "schedule:days", "Monday"),
                createRefused(record("x", snap, Types.VmssFrequency.DAILY, 7, map("days", "Monday"))));
        assertEquals(
                List.of("INVALID_VALUE", "schedule:min", "10"),
                createRefused(record("x", snap, Types.VmssFrequency.DAILY, 7, map("min", "10"))));
        assertEquals(
                List.of("INVALID_VALUE", "schedule:hour", "24"),
                createRefused(record("x", snap, Types.VmssFrequency.WEEKLY, 7, map("hour", "24"))));
        assertEquals(
                List.of("INVALID_VALUE", "schedule:days", "Monday,monday"),
                createRefused(record("x", snap, Types.VmssFrequency.WEEKLY, 7, map("days", "Monday,monday"))));
        assertEquals(
                List.of("INVALID_VALUE", "schedule:days", "Someday"),
                createRefused(record("x", snap, Types.VmssFrequency.WEEKLY, 7, map("days", "Someday"))));
        for (long n : new long[] {0, 11, -1}) {
            assertEquals(
                    List.of("INVALID_VALUE", "retained_snapshots", Long.toString(n)),
                    createRefused(record("x", snap, Types.VmssFrequency.HOURLY, n, map())));
        }
        // the schedule is checked before the count
        assertEquals(
                List.of("INVALID_VALUE", "schedule:min", "1"),
                createRefused(record("x", snap, Types.VmssFrequency.HOURLY, 0, map("min", "1"))));
        withRestriction(
                "restrict_vss",
                "true",
                () -> assertEquals(
                        List.of("LICENCE_RESTRICTION", "VSS"),
                        createRefused(record(
                                "x", Types.VmssType.SNAPSHOT_WITH_QUIESCE, Types.VmssFrequency.HOURLY, 7, map()))));
        for (long n : new long[] {1, 10}) {
            assertEquals(
                    n,
                    VMSS.create(c, record("ok", snap, Types.VmssFrequency.HOURLY, n, map()))
                            .getRetainedSnapshots(c));
        }
    }

    @Test
    void settersCheckAsXapiDoes() throws Exception {
        VMSS v = schedule("setters", Types.VmssFrequency.HOURLY, map("min", "30"));

        // frequency: the new frequency's keys, kept or defaulted, the others dropped
        v.setFrequency(c, Types.VmssFrequency.WEEKLY);
        assertEquals(map("hour", "0", "min", "30", "days", "Monday"), v.getSchedule(c));
        v.setFrequency(c, Types.VmssFrequency.HOURLY);
        assertEquals(map("min", "30"), v.getSchedule(c));

        // schedule: merged over the stored one, every key of any frequency allowed, each value checked
        v.setSchedule(c, map("hour", "5"));
        assertEquals(map("hour", "5", "min", "30"), v.getSchedule(c));
        assertEquals(
                List.of("INVALID_VALUE", "schedule:min", "31"), refused(v, () -> v.setSchedule(c, map("min", "31"))));
        assertEquals(
                List.of("INVALID_VALUE", "schedule:weeks", "2"), refused(v, () -> v.setSchedule(c, map("weeks", "2"))));

        // what `xe vmss-param-set schedule:min=...` does: remove, then add; a bad value puts the old one back
        v.removeFromSchedule(c, "min");
        assertEquals(map("hour", "5"), v.getSchedule(c));
        assertEquals(
                List.of("INVALID_VALUE", "schedule:min", "20"),
                ConcurrencySupport.errorOf(c, () -> v.addToSchedule(c, "min", "20")));
        assertEquals("30", v.getSchedule(c).get("min"), "restored from the backup");
        v.removeFromSchedule(c, "min");
        v.addToSchedule(c, "min", "15");
        assertEquals("15", v.getSchedule(c).get("min"));
        assertEquals(
                List.of("MAP_DUPLICATE_KEY", "VMSS", "schedule", v.toWireString(), "min"),
                refused(v, () -> v.addToSchedule(c, "min", "45")),
                "a key still there: the adding fails, and so does putting the old value back");
        assertEquals(
                List.of("INTERNAL_ERROR", "Not_found"),
                refused(v, () -> v.addToSchedule(c, "days", "Caturday")),
                "a bad key the backup never had: Xapi's lookup of the old value fails");

        // retained_snapshots 1..10
        v.setRetainedSnapshots(c, 10L);
        assertEquals(10L, v.getRetainedSnapshots(c));
        assertEquals(
                List.of("INVALID_VALUE", "retained_snapshots", "11"), refused(v, () -> v.setRetainedSnapshots(c, 11L)));
        assertEquals(
                List.of("INVALID_VALUE", "retained_snapshots", "0"), refused(v, () -> v.setRetainedSnapshots(c, 0L)));

        // type: a quiesced schedule needs the VSS licence and VMs that can quiesce
        VM vm = LifecycleSupport.newVm(host, c, "no-quiesce");
        vm.setSnapshotSchedule(c, v);
        assertEquals(
                List.of("VM_SNAPSHOT_WITH_QUIESCE_NOT_SUPPORTED", vm.toWireString()),
                refused(v, () -> v.setType(c, Types.VmssType.SNAPSHOT_WITH_QUIESCE)));
        withRestriction(
                "restrict_vss",
                "true",
                () -> assertEquals(
                        List.of("LICENCE_RESTRICTION", "VSS"),
                        refused(v, () -> v.setType(c, Types.VmssType.SNAPSHOT_WITH_QUIESCE))));
        v.setType(c, Types.VmssType.CHECKPOINT);
        assertEquals(Types.VmssType.CHECKPOINT, v.getType(c));

        Date when = new Date(1_700_000_000_000L);
        v.setLastRunTime(c, when);
        assertEquals(when, v.getLastRunTime(c));
        vm.setSnapshotSchedule(c, Types.toVMSS("OpaqueRef:NULL"));
    }

    @Test
    void everyScheduleCallNeedsTheLicence() throws Exception {
        VMSS v = schedule("licensed", Types.VmssFrequency.DAILY, map());
        List<String> licence = List.of("LICENCE_RESTRICTION", "VMSS");
        withRestriction("restrict_vmss", "true", () -> {
            assertEquals(
                    licence, createRefused(record("x", Types.VmssType.SNAPSHOT, Types.VmssFrequency.DAILY, 7, map())));
            List<ConcurrencySupport.SdkCall> calls = List.of(
                    () -> v.setFrequency(c, Types.VmssFrequency.HOURLY),
                    () -> v.setSchedule(c, map("min", "15")),
                    () -> v.addToSchedule(c, "days", "Monday"),
                    () -> v.removeFromSchedule(c, "min"),
                    () -> v.setType(c, Types.VmssType.CHECKPOINT),
                    () -> v.setRetainedSnapshots(c, 3L),
                    () -> v.setLastRunTime(c, new Date(1_000_000L)),
                    () -> v.snapshotNow(c),
                    () -> v.destroy(c));
            for (ConcurrencySupport.SdkCall call : calls) assertEquals(licence, refused(v, call));
            // the fields' own setters are not the schedule's
            v.setEnabled(c, false);
        });
        assertFalse(v.getEnabled(c));
    }

    @Test
    void destroyNeedsNoVmsAndTakesTheSchedulesMessages() throws Exception {
        VMSS v = schedule("doomed", Types.VmssFrequency.HOURLY, map());
        VM vm = LifecycleSupport.newVm(host, c, "kept");
        vm.setSnapshotSchedule(c, v);
        assertEquals(List.of("VMSS_HAS_VM"), refused(v, () -> v.destroy(c)));
        vm.setSnapshotSchedule(c, Types.toVMSS("OpaqueRef:NULL"));
        String uuid = v.getUuid(c);
        Message.create(c, "VMSS_SNAPSHOT_SUCCEEDED", 5L, Types.Cls.VMSS, uuid, "earlier run");
        assertEquals(1, messagesAbout(uuid).size());
        v.destroy(c);
        assertEquals(List.of(), messagesAbout(uuid));
        assertFalse(VMSS.getAll(c).contains(v));
    }

    private static List<Message.Record> messagesAbout(String uuid) throws Exception {
        List<Message.Record> out = new ArrayList<>();
        for (Message.Record m : Message.getAllRecords(c).values()) if (uuid.equals(m.objUuid)) out.add(m);
        out.sort((a, b) -> a.timestamp.compareTo(b.timestamp));
        return out;
    }

    /** The VM's schedule snapshots. */
    private static List<VM> scheduleSnapshots(VM vm) throws Exception {
        List<VM> out = new ArrayList<>();
        for (VM s : vm.getSnapshots(c)) if (s.getIsVmssSnapshot(c)) out.add(s);
        return out;
    }

    private static boolean exists(VDI vdi) {
        return host.server.services().db().snapshot().exists("VDI", vdi.toWireString());
    }

    @Test
    void snapshotNowKeepsTheNewestRetainedSnapshots() throws Exception {
        VMSS v = VMSS.create(c, record("every hour", Types.VmssType.SNAPSHOT, Types.VmssFrequency.HOURLY, 2, map()));
        v.setEnabled(c, false); // snapshot_now runs a disabled schedule too
        VM vm = LifecycleSupport.newVm(host, c, "protected");
        LifecycleSupport.attachDisk(c, vm, sr, "0", 1L << 20);
        VM other = LifecycleSupport.newVm(host, c, "also protected");
        vm.setSnapshotSchedule(c, v);
        other.setSnapshotSchedule(c, v);
        VM manual = vm.snapshot(c, "by hand");
        assertFalse(manual.getIsVmssSnapshot(c), "a user's snapshot is not the schedule's");

        List<VM> made = new ArrayList<>();
        List<VDI> disks = new ArrayList<>();
        for (int run = 1; run <= 4; run++) {
            Set<VM> before = Set.copyOf(scheduleSnapshots(vm));
            assertEquals("", v.snapshotNow(c));
            List<VM> now = scheduleSnapshots(vm);
            List<VM> fresh = new ArrayList<>(now);
            fresh.removeAll(before);
            assertEquals(1, fresh.size(), "one new snapshot per run");
            VM snap = fresh.getFirst();
            made.add(snap);
            VM.Record r = snap.getRecord(c);
            assertTrue(r.isASnapshot);
            assertEquals(vm, r.snapshotOf);
            assertTrue(r.nameLabel.startsWith("protected-"), r.nameLabel);
            disks.add(r.VBDs.stream()
                    .filter(b -> {
                        try {
                            return b.getType(c) == Types.VbdType.DISK;
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    })
                    .findFirst()
                    .orElseThrow()
                    .getVDI(c));
            assertEquals(Math.min(run, 2), now.size(), "pruned to retained_snapshots");
            assertEquals(Math.min(run, 2), scheduleSnapshots(other).size());
        }
        // the two newest are kept; the older ones went with their disks; the user's snapshot stays
        assertEquals(Set.copyOf(made.subList(2, 4)), Set.copyOf(scheduleSnapshots(vm)));
        assertFalse(exists(disks.get(0)));
        assertFalse(exists(disks.get(1)));
        assertTrue(exists(disks.get(2)) && exists(disks.get(3)));
        assertTrue(vm.getSnapshots(c).contains(manual));
        assertTrue(v.getLastRunTime(c).after(new Date(0)));

        List<Message.Record> alerts = messagesAbout(v.getUuid(c));
        assertEquals(4, alerts.size());
        for (Message.Record m : alerts) {
            assertEquals("VMSS_SNAPSHOT_SUCCEEDED", m.name);
            assertEquals(5L, m.priority);
            assertEquals(Types.Cls.VMSS, m.cls);
        }
        vm.setSnapshotSchedule(c, Types.toVMSS("OpaqueRef:NULL"));
        other.setSnapshotSchedule(c, Types.toVMSS("OpaqueRef:NULL"));
    }

    @Test
    void aCheckpointScheduleFailsAsVmCheckpointDoes() throws Exception {
        VMSS v = VMSS.create(c, record("checkpoints", Types.VmssType.CHECKPOINT, Types.VmssFrequency.DAILY, 3, map()));
        VM vm = LifecycleSupport.newVm(host, c, "memory too");
        vm.setSnapshotSchedule(c, v);
        // VM.checkpoint refuses a halted VM
        String ref = vm.toWireString();
        assertEquals(
                List.of("VM_BAD_POWER_STATE", ref, "paused, suspended, running", "halted"),
                ConcurrencySupport.errorOf(c, () -> v.snapshotNow(c)));
        assertEquals(Set.of(), vm.getSnapshots(c));
        List<Message.Record> alerts = messagesAbout(v.getUuid(c));
        assertEquals(1, alerts.size());
        Message.Record m = alerts.getFirst();
        assertEquals("VMSS_SNAPSHOT_FAILED", m.name);
        assertEquals(3L, m.priority);
        // the line XenCenter's PolicyAlert parses: VM:<name> UUID:<uuid> Error:['CODE', ...]
        String line = "VM:memory too UUID:" + vm.getUuid(c) + " Error:['VM_BAD_POWER_STATE', '" + ref
                + "', 'paused, suspended, running', 'halted']";
        assertTrue(m.body.lines().anyMatch(line::equals), m.body);
        vm.setSnapshotSchedule(c, Types.toVMSS("OpaqueRef:NULL"));
    }

    @Test
    void snapshotsMadeInTheSchedulesSessionAreItsAndShowInXenCenter() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "plugin-made");
        Dispatcher d = host.dispatcher();
        Caller localRoot = Caller.internal(); // as the plugin logs in, over the local socket: no password
        String session = (String)
                ok(d.dispatch("session.login_with_password", List.of("__dom0__vmss", "", "1.0", "test"), localRoot));
        String task = (String) ok(d.dispatch(
                "Async.VM.snapshot", List.of(session, vm.toWireString(), "scheduled", List.of()), localRoot));
        awaitTask(task);
        Snapshot s = host.server.services().db().snapshot();
        assertEquals("success", s.get("task", task, "status"), String.valueOf(s.get("task", task, "error_info")));
        assertEquals(map("ShowInXenCenter", "", "applies_to", vm.toWireString()), s.get("task", task, "other_config"));
        List<VM> snaps = scheduleSnapshots(vm);
        assertEquals(1, snaps.size());
        assertEquals("scheduled", snaps.getFirst().getNameLabel(c));
        ok(d.dispatch("session.logout", List.of(session), localRoot));
    }

    private static Object ok(Dispatcher.Outcome o) {
        if (!o.ok()) throw o.error();
        return o.value();
    }

    private static void awaitTask(String task) throws Exception {
        LifecycleSupport.await(
                host,
                "task " + task + " finishes",
                () -> !"pending".equals(host.server.services().db().snapshot().get("task", task, "status")));
    }
}
