package org.xapijava.xenopsd.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The guest's xenstore nodes and balloon as pure functions. */
class GuestTest {

    private static final long MIB = 1L << 20;

    @Test
    void onlyValidPathsUnderTheAllowedPrefixesAreWritten() {
        assertTrue(GuestXenstore.allowed("vm-data/x"));
        assertTrue(GuestXenstore.allowed("FIST/x"));
        assertFalse(GuestXenstore.allowed("vm-data"));
        assertFalse(GuestXenstore.allowed("vm-datax/y"));
        assertFalse(GuestXenstore.allowed("fist/x"));
        assertTrue(GuestXenstore.validPath("vm-data/a_b-c@d/0"));
        for (String bad : List.of("vm-data/a b", "vm-data//a", "vm-data/a/", "/vm-data/a", "vm-data/é", "")) {
            assertFalse(GuestXenstore.validPath(bad), bad);
        }
    }

    @Test
    void explicitValuesWinOverTheDirectoriesTheirChildrenCreate() {
        Map<String, String> w = GuestXenstore.written(Map.of("vm-data/a/b", "child", "vm-data/a", "parent"), false);
        assertEquals(Map.of("vm-data", "", "vm-data/a", "parent", "vm-data/a/b", "child"), w);
        assertEquals(List.of("vm-data", "vm-data/a", "vm-data/a/b"), new ArrayList<>(w.keySet()), "sorted");
        assertEquals(Map.of(), GuestXenstore.written(Map.of("attr/x", "1"), false));
        assertEquals(Map.of("vm-data", ""), GuestXenstore.written(Map.of("attr/x", "1"), true));
    }

    private static Domain domain(long from, long target, double since, boolean driver) {
        Guest g = new Guest(Map.of(), from, since, driver, false);
        return new Domain(
                1, "u", true, null, false, true, 1, 1.0, target, target, true, false, List.of(), List.of(), List.of(),
                List.of(), List.of(), Map.of(), 0.0, true, null, g);
    }

    @Test
    void theBalloonMovesAtItsRateInWholePagesAndStopsAtTheTarget() {
        double rate = Balloons.BYTES_PER_SECOND;
        Domain down = domain(1024 * MIB, 512 * MIB, 100.0, true);
        assertEquals(1024 * MIB, Balloons.actual(down, 100.0));
        assertEquals(1024 * MIB, Balloons.actual(down, 99.0), "no moving backwards in time");
        long halfway = Balloons.actual(down, 100.0 + 256 * MIB / rate);
        assertEquals(768 * MIB, halfway);
        long odd = Balloons.actual(down, 100.0 + 1000.5 / rate);
        assertEquals(0, (1024 * MIB - odd) % 4096, "whole pages");
        assertEquals(512 * MIB, Balloons.actual(down, 200.0));
        assertEquals(0.25, Balloons.secondsToArrival(down, 100.0 + 256 * MIB / rate), 1e-9);
        assertEquals(0.0, Balloons.secondsToArrival(down, 200.0));

        Domain up = domain(256 * MIB, 512 * MIB, 0.0, true);
        assertEquals(384 * MIB, Balloons.actual(up, 128 * MIB / rate));
        assertEquals(512 * MIB, Balloons.actual(up, 10.0));

        Domain stuck = domain(1024 * MIB, 512 * MIB, 0.0, false);
        assertEquals(1024 * MIB, Balloons.actual(stuck, 1e6), "no driver: no movement");
        assertEquals(0.0, Balloons.secondsToArrival(stuck, 0.0));

        Domain restarted = Balloons.restarted(down, 100.0 + 256 * MIB / rate, false);
        assertEquals(768 * MIB, restarted.guest().balloonFrom());
        assertEquals(768 * MIB, Balloons.actual(restarted, 1e6));
    }

    @Test
    void aDomainWithoutGuestMemberGetsOneAsIfJustCreated() {
        Domain d = domain(512 * MIB, 512 * MIB, 5.0, true)
                .withXsdata(Map.of("vm-data/k", "v"))
                .withGuest(new Guest(Map.of("x", "y"), 1, 2, false, true));
        assertEquals(d, Domain.fromRpc(d.toRpc()));
        @SuppressWarnings("unchecked")
        Map<String, Object> old = new java.util.LinkedHashMap<>((Map<String, Object>) d.toRpc());
        old.remove("guest");
        Guest g = Domain.fromRpc(old).guest();
        assertEquals(Map.of("vm-data", "", "vm-data/k", "v"), g.xsdataState());
        assertEquals(512 * MIB, g.balloonFrom());
        assertTrue(g.balloonDriver());
        assertFalse(g.s3());
    }
}
