package org.xapijava.server.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The fast {@code %.15g} gives the digits of the exact rounding for every kind of value the RRDs hold. */
class FloatsTest {
    private static void same(double f) {
        if (!Double.isFinite(f) || f == 0.0) return; // toString writes these itself
        String fast = Floats.fastG15(f);
        if (fast != null) assertEquals(Floats.exactG15(f), fast, () -> "for " + f);
    }

    @Test
    void fastAndExactAgree() {
        SplittableRandom r = new SplittableRandom(14);
        for (int i = 0; i < 100_000; i++) {
            same(Double.longBitsToDouble(r.nextLong()) % 1e300); // any double
            same((float) (r.nextDouble() * Math.pow(10, r.nextInt(-12, 20)))); // the RRDs' 32-bit values
            same(r.nextDouble());
            same(r.nextInt(-1_000_000, 1_000_000) / 1000.0);
            same(r.nextLong(1L << 53)); // integers up to 2^53 (16 digits)
        }
    }

    @Test
    void formsAsC() {
        assertEquals("0.1", Floats.toString(0.1));
        assertEquals("0.100000001490116", Floats.toString(0.1f));
        assertEquals("100", Floats.toString(100.0));
        assertEquals("-2.5", Floats.toString(-2.5));
        assertEquals("1e+15", Floats.toString(1e15));
        assertEquals("100000000000000", Floats.toString(1e14));
        assertEquals("0.0001", Floats.toString(1e-4));
        assertEquals("1e-05", Floats.toString(1e-5));
        assertEquals("1.23456789012346e+20", Floats.toString(123456789012345678901.0));
        assertEquals("1e+16", Floats.toString(9999999999999999.0));
        assertEquals("0.0", Floats.toString(0.0));
        assertEquals("NaN", Floats.toString(Double.NaN));
        assertEquals("Infinity", Floats.toString(Double.POSITIVE_INFINITY));
    }

    @Test
    void aTieInTheShortestDecimalIsLeftToTheExactRounding() {
        // 0.1000000000000005 is its own shortest decimal: a tie at the 16th digit
        double tie = 0.1000000000000005;
        assertNull(Floats.fastG15(tie));
        assertEquals(Floats.exactG15(tie), Floats.g15(tie));
        assertNull(Floats.fastG15(9.939454463116E-310), "a subnormal");
        assertEquals("9.93945446311598e-310", Floats.g15(9.939454463116E-310));
    }
}
