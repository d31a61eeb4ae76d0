package org.xapijava.server.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Xapi's consolidation ({@code rrd.ml}), its number format, dumps and exports. */
class RrdTest {
    /** A time at the start of a minute (and so of a 5 s step). */
    static final long T0 = 1_700_000_040L;

    static DataSource gauge(String name) {
        return DataSource.gauge(name, name, "B", 0, false);
    }

    static DataSource derive(String name) {
        return new DataSource(name, name, DsType.DERIVE, "B/s", 0, Double.POSITIVE_INFINITY, true, false, 0, true);
    }

    static Map<String, Rrd.Reading> one(String name, double v) {
        return Map.of(name, new Rrd.Reading(v, false, false));
    }

    static Rrd.Rra rra(Rrd r, Cf cf, int pdps) {
        for (Rrd.Rra a : r.rras) if (a.cf == cf && a.pdpCount == pdps) return a;
        throw new AssertionError("no " + cf + " archive of " + pdps);
    }

    @Test
    void archivesAreXapisTimescales() {
        Rrd host = Rrd.create(List.of(gauge("g")), T0, true);
        assertEquals(10, host.rras.size()); // AVERAGE of 5 s, then AVERAGE/MIN/MAX of each longer timescale
        assertEquals(0.5, rra(host, Cf.AVERAGE, 1).xff);
        assertEquals(120, rra(host, Cf.AVERAGE, 1).rows);
        assertEquals(1.0, rra(host, Cf.MAX, 12).xff);
        assertEquals(168, rra(host, Cf.MIN, 720).rows);
        assertEquals(366, rra(host, Cf.AVERAGE, 17280).rows);
        Rrd vm = Rrd.create(List.of(gauge("g")), T0, false);
        assertEquals(4, vm.rras.size());
        assertEquals(0.5, rra(vm, Cf.AVERAGE, 12).xff);
    }

    @Test
    void gaugeConsolidatesIntoAverageMinAndMax() {
        Rrd r = Rrd.create(List.of(gauge("g")), T0, true);
        for (int k = 1; k <= 12; k++) r.update(T0 + 5L * k, one("g", k), false);
        Rrd.Rra fine = rra(r, Cf.AVERAGE, 1);
        for (int i = 0; i < 12; i++) assertEquals(12 - i, fine.rings.getFirst().peek(i));
        assertTrue(Double.isNaN(fine.rings.getFirst().peek(12)), "older rows are unknown");
        assertEquals(6.5, rra(r, Cf.AVERAGE, 12).rings.getFirst().peek(0), 1e-6);
        assertEquals(1.0, rra(r, Cf.MIN, 12).rings.getFirst().peek(0));
        assertEquals(12.0, rra(r, Cf.MAX, 12).rings.getFirst().peek(0));
        assertTrue(Double.isNaN(rra(r, Cf.AVERAGE, 12).rings.getFirst().peek(1)));
    }

    @Test
    void deriveIsTheRatePerSecondFromTheSecondReading() {
        Rrd r = Rrd.create(List.of(derive("d")), T0, false);
        for (int k = 1; k <= 4; k++) r.update(T0 + 5L * k, one("d", 1000 + 50.0 * k), false);
        Rrd.Ring ring = rra(r, Cf.AVERAGE, 1).rings.getFirst();
        assertEquals(10.0, ring.peek(0));
        assertEquals(10.0, ring.peek(2));
        // the first reading after creation has no previous one: an unknown PDP, which Xapi's 5 s archive (one PDP
        // per row, nothing left to renormalise over) writes as the average's initial 0
        assertEquals(0.0, ring.peek(3));
    }

    @Test
    void deriveBetweenStepsIsSharedByTime() {
        Rrd r = Rrd.create(List.of(derive("d")), T0, false);
        r.update(T0 + 2, one("d", 0), false);
        r.update(T0 + 7, one("d", 100), false); // 20/s over [T0+2, T0+7]
        r.update(T0 + 12, one("d", 200), false); // 20/s
        assertEquals(20.0, rra(r, Cf.AVERAGE, 1).rings.getFirst().peek(0), 1e-5);
    }

    @Test
    void outOfBoundsIsUnknownButADeriveJustOverItsMaxIsClamped() {
        DataSource frac = DataSource.cpu("cpu0", "c", 0, false);
        Rrd r = Rrd.create(List.of(frac, gauge("g")), T0, false);
        r.update(
                T0 + 5,
                Map.of("cpu0", new Rrd.Reading(0, false, false), "g", new Rrd.Reading(-1, false, false)),
                false);
        r.update(T0 + 10, one("cpu0", 5.1), false); // 1.02 per second: clamped to 1
        r.update(T0 + 15, one("cpu0", 11.1), false); // 1.2: unknown
        Rrd.Rra fine = rra(r, Cf.AVERAGE, 1);
        assertEquals(0.0, fine.rings.get(0).peek(0), "unknown, written as 0 at 5 s");
        assertEquals(1.0, fine.rings.get(0).peek(1));
        assertEquals(0.0, fine.rings.get(1).peek(0), "a gauge below its min (not updated since)");
    }

    @Test
    void inverseTurnsIdleTimeIntoUse() {
        Rrd r = Rrd.create(List.of(DataSource.cpu("cpu0", "c", 0, true)), T0, true);
        for (int k = 1; k <= 3; k++)
            r.update(T0 + 5L * k, Map.of("cpu0", new Rrd.Reading(4.0 * k, false, true)), false);
        assertEquals(0.2, rra(r, Cf.AVERAGE, 1).rings.getFirst().peek(0), 1e-6);
    }

    @Test
    void unknownPdpsRenormaliseTheAverageUpToXff() {
        Rrd host = Rrd.create(List.of(gauge("g")), T0, true); // xff 1.0
        Rrd vm = Rrd.create(List.of(gauge("g")), T0, false); // xff 0.5
        for (int k = 1; k <= 12; k++) {
            // out of bounds makes an unknown PDP (an unknown GAUGE reading repeats the previous rate)
            double v = k == 5 ? -1 : 2.0;
            host.update(T0 + 5L * k, one("g", v), false);
            vm.update(T0 + 5L * k, one("g", k <= 7 ? -1 : 2.0), false);
        }
        // Xapi scales what was accumulated by 12/11 at the unknown PDP; later ones still count 1/12
        assertEquals((float) (8.0 / 11 + 14.0 / 12), (float)
                rra(host, Cf.AVERAGE, 12).rings.getFirst().peek(0));
        assertTrue(Double.isNaN(rra(vm, Cf.AVERAGE, 12).rings.getFirst().peek(0)), "7 of 12 unknown > xff 0.5");
    }

    @Test
    void aGapFillsRowsWithTheCurrentPdp() {
        Rrd r = Rrd.create(List.of(gauge("g")), T0, false);
        r.update(T0 + 5, one("g", 1), false);
        r.update(T0 + 25, one("g", 3), false);
        Rrd.Ring ring = rra(r, Cf.AVERAGE, 1).rings.getFirst();
        assertEquals(3.0, ring.peek(0));
        assertEquals(3.0, ring.peek(3));
        assertEquals(1.0, ring.peek(4));
    }

    @Test
    void sourcesComeAndGo() {
        Rrd r = Rrd.create(List.of(gauge("a")), T0, false);
        r.addSource(gauge("b"), T0 + 1);
        r.update(T0 + 5, Map.of("a", new Rrd.Reading(1, false, false), "b", new Rrd.Reading(2, false, false)), false);
        assertEquals(List.of("a", "b"), r.names());
        assertEquals(2.0, r.query("b", T0 + 5));
        r.removeSource("a");
        r.removeSource("a");
        assertEquals(List.of("b"), r.names());
        assertEquals(1, rra(r, Cf.AVERAGE, 12).rings.size());
        assertThrows(IllegalArgumentException.class, () -> r.query("a", T0 + 5));
    }

    @Test
    void numbersAsXapiWritesThem() {
        assertEquals("0.0", Floats.toString(0.0));
        assertEquals("NaN", Floats.toString(Double.NaN));
        assertEquals("Infinity", Floats.toString(Double.POSITIVE_INFINITY));
        assertEquals("-Infinity", Floats.toString(Double.NEGATIVE_INFINITY));
        assertEquals("0.1", Floats.toString(0.1));
        assertEquals("100", Floats.toString(100));
        assertEquals("300", Floats.toString(300.0));
        assertEquals("0.5", Floats.toString(0.5));
        assertEquals("1e-05", Floats.toString(1e-5));
        assertEquals("0.0001", Floats.toString(1e-4));
        assertEquals("1.23456789012346e+17", Floats.toString(123456789012345678.0));
        assertEquals("0.300000011920929", Floats.toString((float) 0.3));
        assertEquals("-2.5", Floats.toString(-2.5));
        assertEquals("1e+15", Floats.toString(1e15));
        assertEquals("123456789012345", Floats.toString(123456789012345.0));
    }

    @Test
    void dumpParsesBackToTheSameDump() {
        Rrd r = Rrd.create(List.of(gauge("g"), derive("d")), T0, true);
        for (int k = 1; k <= 30; k++) {
            r.update(
                    T0 + 5L * k,
                    Map.of("g", new Rrd.Reading(k / 3.0, false, false), "d", new Rrd.Reading(7 * k, true, false)),
                    false);
        }
        String xml = RrdDump.xml(r, true);
        assertTrue(
                xml.startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rrd><version>0003</version><step>5</step>"
                        + "<lastupdate>" + (T0 + 150) + "</lastupdate><ds><name>g</name><type>GAUGE</type>"
                        + "<minimal_heartbeat>300</minimal_heartbeat><min>0.0</min><max>Infinity</max>"),
                xml);
        Rrd back = RrdDump.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        String again = RrdDump.xml(back, true);
        // last_ds is not kept in an archive (Xapi reads it as unknown)
        assertEquals(xml.replaceAll("<last_ds>[^<]*</last_ds>", ""), again.replaceAll("<last_ds>[^<]*</last_ds>", ""));
        assertTrue(RrdDump.json(r).startsWith("{\"version\":\"0003\",\"step\":\"5\",\"lastupdate\":\""));
    }

    @Test
    void anIndentedDumpReadsAsTheCompactOneAndAShortRowIsRefused() {
        Rrd r = Rrd.create(List.of(gauge("g"), derive("d")), T0, false);
        for (int k = 1; k <= 12; k++) {
            r.update(
                    T0 + 5L * k,
                    Map.of("g", new Rrd.Reading(k, false, false), "d", new Rrd.Reading(3 * k, true, false)),
                    false);
        }
        String xml = RrdDump.xml(r, true);
        // rrdtool's own dumps are indented, with comments, and values padded
        String indented = xml.replace("><", ">\n  <")
                .replace("<row>", "<!-- a row --><row>")
                .replaceAll("<v>([^<]*)</v>", "<v> $1 </v>");
        Rrd back = RrdDump.parse(new ByteArrayInputStream(indented.getBytes(StandardCharsets.UTF_8)));
        assertEquals(
                xml.replaceAll("<last_ds>[^<]*</last_ds>", ""),
                RrdDump.xml(back, true).replaceAll("<last_ds>[^<]*</last_ds>", ""));

        String shortRow = xml.replaceFirst("<row><v>[^<]*</v>", "<row>");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> RrdDump.parse(new ByteArrayInputStream(shortRow.getBytes(StandardCharsets.UTF_8))));
        assertTrue(e.getMessage().startsWith("not an RRD dump"), e.getMessage());
    }

    @Test
    void updatesAreNewestFirstWithCfPrefixedLegends() {
        Rrd host = Rrd.create(List.of(gauge("cpu_avg")), T0, true);
        Rrd vm = Rrd.create(List.of(gauge("memory")), T0, false);
        for (int k = 1; k <= 6; k++) {
            host.update(T0 + 5L * k, one("cpu_avg", k), false);
            vm.update(T0 + 5L * k, one("memory", 10 * k), false);
        }
        RrdUpdates u = RrdUpdates.of(
                List.of(new RrdUpdates.Source("host:H:", host), new RrdUpdates.Source("vm:V:", vm)),
                T0 + 10,
                5,
                Cf.AVERAGE);
        assertEquals(List.of("AVERAGE:host:H:cpu_avg", "AVERAGE:vm:V:memory"), u.legend());
        assertEquals(5, u.step());
        assertEquals(T0 + 30, u.end());
        assertEquals(T0 + 15, u.start());
        assertEquals(5, u.rows().size()); // T0+30 down to T0+10
        assertEquals(T0 + 30, u.rows().getFirst().time());
        assertEquals(60.0, u.rows().getFirst().values()[1]);
        assertEquals(
                "{\"meta\":{\"start\":\"" + (T0 + 15) + "\",\"step\":\"5\",\"end\":\"" + (T0 + 30)
                        + "\",\"rows\":\"5\",\"columns\":\"2\",\"legend\":[\"AVERAGE:host:H:cpu_avg\","
                        + "\"AVERAGE:vm:V:memory\"]},\"data\":[{\"t\":\"" + (T0 + 30) + "\",\"values\":[\"6\",\"60\"]}",
                u.json().substring(0, u.json().indexOf("]}", u.json().indexOf("\"data\"")) + 2));
        assertTrue(u.xml()
                .startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xport><meta><start>" + (T0 + 15)
                        + "</start><step>5</step><end>" + (T0 + 30) + "</end><rows>5</rows><columns>2</columns><legend>"
                        + "<entry>AVERAGE:host:H:cpu_avg</entry><entry>AVERAGE:vm:V:memory</entry></legend></meta><data>"
                        + "<row><t>" + (T0 + 30) + "</t><v>6</v><v>60</v></row>"));
        // no CF: every archive of the timescale, host MIN and MAX only exist from 1 minute up
        RrdUpdates all = RrdUpdates.of(List.of(new RrdUpdates.Source("host:H:", host)), T0 + 10, 60, null);
        assertEquals(List.of("AVERAGE:host:H:cpu_avg", "MIN:host:H:cpu_avg", "MAX:host:H:cpu_avg"), all.legend());
        assertEquals(60, all.step());
        // relative start
        assertEquals(
                T0 + 15,
                RrdUpdates.of(List.of(new RrdUpdates.Source("host:H:", host)), -20, 5, Cf.AVERAGE)
                        .start());
    }
}
