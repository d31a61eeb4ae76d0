package org.xapijava.bench.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The lifecycle benchmark end to end on tiny sizes: it completes and counts correctly (no time is asserted). */
class LifecycleBenchTest {

    @Test
    void tinyRunCompletesAndCounts() throws Exception {
        var o = new LifecycleBench.Options(6, 3, Duration.ZERO, Duration.ofMillis(300), 2);
        LifecycleBench.Results r = LifecycleBench.run(o, new PrintStream(OutputStream.nullOutputStream()));
        assertEquals(2, r.ours().size());
        assertEquals(2, r.baseline().size());
        for (LifecycleBench.Round x : r.ours()) checkRound(x, "xapi-java");
        for (LifecycleBench.Round x : r.baseline()) checkRound(x, "simulator via XenopsClient");
        String md = LifecycleBench.markdown(r);
        assertTrue(md.contains("6 VMs, 3 clients"), md);
        assertTrue(md.contains("| `VM.start` latency"), md);
        assertTrue(md.contains("| `VM.clean_shutdown` latency"), md);
    }

    /** Every client finishes at least one cycle; one start and one shutdown per cycle, each timed. */
    private static void checkRound(LifecycleBench.Round x, String side) {
        assertEquals(side, x.side());
        assertTrue(x.cycles() >= 3, "each of the 3 clients completes a cycle: " + x.cycles());
        assertEquals(2 * x.cycles(), x.operations());
        assertEquals(x.cycles(), x.startNanos().length);
        assertEquals(x.cycles(), x.shutdownNanos().length);
        for (long t : x.startNanos()) assertTrue(t > 0);
        assertTrue(x.seconds() > 0);
    }

    @Test
    void percentilesAreNearestRank() {
        long[] ms = new long[100];
        for (int i = 0; i < 100; i++) ms[i] = (100 - i) * 1_000_000L; // 100 ms down to 1 ms
        assertEquals(50.0, LifecycleBench.percentileMs(ms, 50));
        assertEquals(99.0, LifecycleBench.percentileMs(ms, 99));
        assertEquals(7.0, LifecycleBench.percentileMs(new long[] {7_000_000L}, 99));
    }

    @Test
    void optionsParse() {
        var o = LifecycleBench.Options.parse(new String[] {"--vms", "40", "--clients", "4", "--rounds", "2"});
        assertEquals(40, o.vms());
        assertEquals(4, o.clients());
        assertEquals(2, o.rounds());
        assertEquals(LifecycleBench.Options.defaults().round(), o.round());
        assertThrows(IllegalArgumentException.class, () -> LifecycleBench.Options.parse(new String[] {"--nope", "1"}));
        assertThrows(
                IllegalArgumentException.class,
                () -> LifecycleBench.Options.parse(new String[] {"--vms", "2", "--clients", "4"}));
    }
}
