package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Message;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import com.xensource.xenapi.VMSS;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.MutableClock;
import org.xapijava.server.TestHost;
import org.xapijava.server.vm.VmssTimer;

/**
 * The snapshot schedule timer on a host whose clock the test moves ({@link MutableClock}, from Thursday
 * 2026-01-01 00:00 UTC): each tick runs the enabled schedules whose time came since the previous tick through
 * {@code VMSS.snapshot_now} (schedule snapshots, retention, {@code last_run_time}), reports run times it skipped
 * ({@code VMSS_SNAPSHOT_MISSED_EVENT}) and a missing licence ({@code VMSS_LICENSE_ERROR}), and leaves disabled
 * schedules and schedules without VMs alone. No real time passes: the test calls the ticks.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VmssTimerSdkTest {
    @TempDir
    static Path dir;

    static MutableClock clock = new MutableClock();
    static TestHost host;
    static ConcurrencySupport.Recording c;
    static int made;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.startAt(dir, clock);
        c = ConcurrencySupport.login(host);
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    /** Moves the clock by {@code d} (in steps of at most 6 hours, each with a call so sessions stay active). */
    static void advance(Duration d) throws Exception {
        Duration step = Duration.ofHours(6);
        while (d.compareTo(step) > 0) {
            clock.advance(step);
            d = d.minus(step);
            Pool.getAll(c);
        }
        clock.advance(d);
        Pool.getAll(c);
    }

    /** Moves the clock to {@code when} (UTC, later than now). */
    static void advanceTo(String when) throws Exception {
        advance(Duration.between(clock.instant(), Instant.parse(when)));
    }

    static VmssTimer timer() {
        return host.server.vmssTimer();
    }

    static List<String> tick() {
        List<String> out = new ArrayList<>();
        for (VmssTimer.Ran r : timer().tick()) {
            assertNull(r.error(), "run of " + r.vmss());
            out.add(r.vmss());
        }
        return out;
    }

    static VMSS schedule(Types.VmssFrequency frequency, long retained, String... kv) throws Exception {
        Map<String, String> s = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) s.put(kv[i], kv[i + 1]);
        VMSS.Record v = new VMSS.Record();
        v.nameLabel = "timer-" + (++made);
        v.nameDescription = "";
        v.enabled = true;
        v.type = Types.VmssType.SNAPSHOT;
        v.retainedSnapshots = retained;
        v.frequency = frequency;
        v.schedule = new HashMap<>(s);
        return VMSS.create(c, v);
    }

    static VM vmIn(VMSS v) throws Exception {
        VM vm = ConcurrencySupport.pvVm(host, c, "timer-vm-" + (++made));
        vm.setSnapshotSchedule(c, v);
        return vm;
    }

    static List<VM> scheduleSnapshots(VM vm) throws Exception {
        List<VM> out = new ArrayList<>();
        for (VM s : vm.getSnapshots(c)) if (s.getIsVmssSnapshot(c)) out.add(s);
        return out;
    }

    static List<String> alerts(VMSS v, String name) throws Exception {
        String uuid = v.getUuid(c);
        List<String> out = new ArrayList<>();
        for (Message.Record m : Message.getAllRecords(c).values()) {
            if (uuid.equals(m.objUuid) && name.equals(m.name)) out.add(m.body);
        }
        return out;
    }

    static Date date(String when) {
        return Date.from(Instant.parse(when));
    }

    @Test
    @Order(1)
    void schedulesRunAtTheirTimesKeepTheirSnapshotsAndReportWhatTheyMissed() throws Exception {
        VMSS hourly = schedule(Types.VmssFrequency.HOURLY, 2, "min", "15");
        VM vm = vmIn(hourly);
        VMSS daily = schedule(Types.VmssFrequency.DAILY, 3, "hour", "7", "min", "30");
        VM dailyVm = vmIn(daily);
        VMSS empty = schedule(Types.VmssFrequency.HOURLY, 2, "min", "0");
        String ref = hourly.toWireString();

        advanceTo("2026-01-01T00:10:00Z");
        assertEquals(List.of(), tick(), "nothing is due before 00:15");
        advanceTo("2026-01-01T00:15:00Z");
        assertEquals(List.of(ref), tick());
        assertEquals(1, scheduleSnapshots(vm).size());
        assertEquals(date("2026-01-01T00:15:00Z"), hourly.getLastRunTime(c));
        assertEquals(List.of(), tick(), "a second tick at the same time runs nothing");
        advanceTo("2026-01-01T00:30:00Z");
        assertEquals(List.of(), tick());
        advanceTo("2026-01-01T01:15:00Z");
        assertEquals(List.of(ref), tick());
        advanceTo("2026-01-01T02:15:00Z");
        assertEquals(List.of(ref), tick());
        assertEquals(2, scheduleSnapshots(vm).size(), "retained_snapshots: the oldest went");
        assertTrue(alerts(hourly, "VMSS_SNAPSHOT_MISSED_EVENT").isEmpty());
        assertFalse(alerts(hourly, "VMSS_SNAPSHOT_SUCCEEDED").isEmpty(), "the run's own alert");

        // three hours without a tick: one run, and the skipped run times reported
        advanceTo("2026-01-01T05:20:00Z");
        List<VmssTimer.Ran> ran = timer().tick();
        assertEquals(1, ran.size());
        assertTrue(ran.getFirst().missed());
        assertEquals(date("2026-01-01T05:20:00Z"), hourly.getLastRunTime(c), "last_run_time is the run's start");
        assertEquals(1, alerts(hourly, "VMSS_SNAPSHOT_MISSED_EVENT").size());

        // disabled, it does not run
        hourly.setEnabled(c, false);
        advanceTo("2026-01-01T06:15:00Z");
        assertEquals(List.of(), tick());
        hourly.setEnabled(c, true);

        // the daily one ran at none of these times; at 07:30 both are due (the hourly one for 07:15)
        assertTrue(scheduleSnapshots(dailyVm).isEmpty());
        advanceTo("2026-01-01T07:30:00Z");
        assertEquals(java.util.Set.of(ref, daily.toWireString()), new java.util.HashSet<>(tick()));
        assertEquals(1, scheduleSnapshots(dailyVm).size());
        assertEquals(date("2026-01-01T07:30:00Z"), daily.getLastRunTime(c));
        assertTrue(alerts(hourly, "VMSS_SNAPSHOT_MISSED_EVENT").size() == 1, "06:15 was not missed: disabled");
        assertEquals(new Date(0), empty.getLastRunTime(c), "a schedule without VMs does not run");
        for (VMSS v : List.of(hourly, daily, empty)) v.setEnabled(c, false);
    }

    @Test
    @Order(2)
    void aWeeklyScheduleRunsOnItsDaysAndAnUnlicensedPoolIsReported() throws Exception {
        VMSS weekly = schedule(Types.VmssFrequency.WEEKLY, 5, "days", "Saturday,Monday", "hour", "1", "min", "0");
        VM vm = vmIn(weekly);
        String ref = weekly.toWireString();
        advanceTo("2026-01-02T00:00:00Z");
        assertFalse(tick().contains(ref), "its last day (Monday 2025-12-29) was before it was made");
        List<Instant> runs = new ArrayList<>();
        while (clock.instant().isBefore(Instant.parse("2026-01-06T00:00:00Z"))) {
            advance(Duration.ofHours(1));
            if (tick().contains(ref)) runs.add(clock.instant());
        }
        assertEquals(List.of(Instant.parse("2026-01-03T01:00:00Z"), Instant.parse("2026-01-05T01:00:00Z")), runs);
        assertEquals(2, scheduleSnapshots(vm).size());
        assertTrue(alerts(weekly, "VMSS_SNAPSHOT_MISSED_EVENT").isEmpty());

        String pool = host.server.services().poolRef();
        var restrictions = host.server.services().data().get(pool, org.xapijava.model.api.Pool.RESTRICTIONS);
        Map<String, String> unlicensed = new LinkedHashMap<>(restrictions);
        unlicensed.put("restrict_vmss", "true");
        host.server.services().data().set(pool, org.xapijava.model.api.Pool.RESTRICTIONS, unlicensed);
        try {
            advanceTo("2026-01-10T01:00:00Z");
            List<VmssTimer.Ran> ran = timer().tick();
            assertEquals(1, ran.size());
            assertEquals(
                    List.of("LICENCE_RESTRICTION", "VMSS"),
                    ran.getFirst().error().description());
            assertEquals(1, alerts(weekly, "VMSS_LICENSE_ERROR").size());
            assertEquals(date("2026-01-05T01:00:00Z"), weekly.getLastRunTime(c), "it did not run");
        } finally {
            host.server.services().data().set(pool, org.xapijava.model.api.Pool.RESTRICTIONS, restrictions);
        }
        weekly.setEnabled(c, false);
    }
}
