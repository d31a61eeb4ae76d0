package org.xapijava.server.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's RRDs as xcp-rrdd keeps them, the simulated guests' counters, and the JSON-or-XML choice. */
class RrdsTest {
    static final long T0 = RrdTest.T0;
    static final String VM = "6c3d7a4e-0000-4000-8000-000000000001";

    @TempDir
    Path dir;

    static List<DataSource> host(double load) {
        return List.of(DataSource.gauge("loadavg", "l", "(fraction)", load, false));
    }

    static Rrds.VmSample vm(long domid, long bytes) {
        return new Rrds.VmSample(VM, domid, List.of(DataSource.bytes("vif_0_rx", "rx", bytes)));
    }

    @Test
    void vmsComeGoToTheirArchiveAndComeBack() {
        RrdArchive archive = new RrdArchive(dir);
        Rrds r = new Rrds("H", archive);
        for (int k = 0; k < 4; k++) r.update(T0 + 5L * k, host(1), List.of(vm(7, 1000L * k)));
        assertTrue(r.hasVm(VM));
        assertEquals(200.0, r.queryVm(VM, "vif_0_rx", T0 + 15));
        assertEquals(
                List.of("vif_0_rx"),
                r.vmSources(VM).stream().map(Rrds.SourceInfo::name).toList());
        r.update(T0 + 20, host(1), List.of());
        assertTrue(r.hasVm(VM), "kept while not sampled: it leaves at its halt or migration");
        // archive_rrd at its halt (Statistics.halted on the master)
        archive.save(VM, r.takeVm(VM));
        assertFalse(r.hasVm(VM), "no longer running here");
        assertNull(r.takeVm(VM), "taken once");
        assertTrue(Files.exists(dir.resolve(VM + ".gz")), "archived");
        Rrds.RrddException e = assertThrows(Rrds.RrddException.class, () -> r.queryVm(VM, "vif_0_rx", T0));
        assertEquals("Rrd_interface.Rrdd_error([S(Datasource_missing);S(VM: " + VM + ")])", e.getMessage());
        // it starts again in another domain: the archive comes back, the counter's restart is no negative rate
        r.update(T0 + 25, host(1), List.of(vm(9, 0)));
        r.update(T0 + 30, host(1), List.of(vm(9, 500)));
        assertEquals(100.0, r.queryVm(VM, "vif_0_rx", T0 + 30));
        String dump = r.vmDump(VM, false);
        assertTrue(dump.contains("<v>200</v>"), "the rows of before are kept");
        // a host restarting reads its own archive
        r.backup();
        Rrds again = new Rrds("H", archive);
        assertEquals(1.0, again.queryHost("loadavg", T0 + 30));
        assertNull(new Rrds("other", archive).hostDump(false));
    }

    @Test
    void recordAndForget() {
        Rrds r = new Rrds("H", new RrdArchive(dir));
        DataSource extra = new DataSource(
                "pif_eth0_rx_errors", "e", DsType.DERIVE, "err/s", 0, Double.POSITIVE_INFINITY, false, false, 0, true);
        r.update(T0, List.of(host(1).getFirst(), extra), List.of());
        assertEquals(
                List.of(true, false),
                r.hostSources().stream().map(Rrds.SourceInfo::enabled).toList(),
                "a non-standard source is offered, not recorded");
        r.recordHost("pif_eth0_rx_errors", T0 + 1);
        assertTrue(r.hostSources().stream().allMatch(Rrds.SourceInfo::enabled));
        assertThrows(Rrds.RrddException.class, () -> r.recordHost("nope", T0 + 1));
        r.forgetHost("loadavg");
        r.forgetHost("loadavg");
        Rrds.RrddException e = assertThrows(Rrds.RrddException.class, () -> r.queryHost("loadavg", T0 + 1));
        assertEquals(
                "Rrd_interface.Rrdd_error([S(Rrdd_internal_error);S(Rrd.Invalid_data_source(\"loadavg\"))])",
                e.getMessage());
    }

    @Test
    void guestCountersAreIntegralsOfTheirRates() {
        double previous = -1;
        for (int t = 0; t < 600; t += 5) {
            double s = GuestActivity.cpuSeconds(VM, 0, t);
            assertTrue(s > previous || t == 0, "monotonic");
            if (t > 0) {
                double rate = (s - previous) / 5;
                assertTrue(rate > 0.0 && rate < 1.0, "a fraction of a CPU: " + rate);
                assertEquals(GuestActivity.cpuRate(VM, 0, t - 2.5), rate, 0.1, "the derivative is the rate");
            }
            previous = s;
        }
        assertEquals(GuestActivity.vifRxBytes(VM, "0", 100), GuestActivity.vifRxBytes(VM, "0", 100), "deterministic");
        assertTrue(GuestActivity.vifRxBytes(VM, "0", 100) != GuestActivity.vifRxBytes(VM, "1", 100), "per device");
        assertEquals(0, GuestActivity.vbdWriteBytes(VM, "xvda", -5), "nothing before the domain started");
        long free = GuestActivity.freeKib(VM, 262144, 42);
        assertTrue(free >= 262144 / 5 && free <= 262144 / 2, "free " + free);
    }

    @Test
    void acceptHeaderChoosesJsonOrXml() {
        assertNull(RrdHandlers.acceptRanksJson(null));
        assertEquals(true, RrdHandlers.acceptRanksJson("*/*"));
        assertEquals(false, RrdHandlers.acceptRanksJson("text/xml"));
        assertEquals(true, RrdHandlers.acceptRanksJson("application/json, text/xml;q=0.5"));
        assertEquals(false, RrdHandlers.acceptRanksJson("application/json;q=0.2, text/*"));
        assertNull(RrdHandlers.acceptRanksJson("text/html"));
    }
}
