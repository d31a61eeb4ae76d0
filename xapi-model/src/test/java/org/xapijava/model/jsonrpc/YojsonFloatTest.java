package org.xapijava.model.jsonrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Expected texts computed with C's printf ("%.16g", then "%.17g" if it does not read back), as Yojson does. */
class YojsonFloatTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "1.0, 1.0",
        "0.1, 0.1",
        "1e20, 1e+20",
        "123456789.123, 123456789.123",
        "-0.0, -0.0",
        "0.0, 0.0",
        "9223372036854775808.0, 9.223372036854776e+18",
        "-1.5, -1.5",
        "0.3333333333333333, 0.3333333333333333",
        "9007199254740992.0, 9007199254740992.0",
        "9007199254740994.0, 9007199254740994.0",
        "1e16, 1e+16",
        "1e15, 1000000000000000.0",
        "4.9e-324, 4.940656458412465e-324",
        "1.7976931348623157e308, 1.7976931348623157e+308",
        "0.30000000000000004, 0.30000000000000004",
        "100.0, 100.0",
        "1e-5, 1e-05",
        "0.0001, 0.0001",
        "123456789012345678.0, 1.2345678901234568e+17",
        "60.1, 60.1",
        "1e21, 1e+21",
        "2.675, 2.675",
        "-123.0, -123.0",
    })
    void formatsLikeYojson(double v, String expected) {
        assertEquals(expected, YojsonFloat.format(v));
    }

    /** The fast path (from the JDK's shortest digits) must agree with the exact definition everywhere. */
    @Test
    void fastPathAgreesWithTheDefinition() {
        java.util.Random r = new java.util.Random(2024);
        int fast = 0;
        for (int i = 0; i < 400_000; i++) {
            double v = switch (i % 8) {
                case 0 -> Double.longBitsToDouble(r.nextLong()); // any bit pattern
                case 1 -> r.nextDouble(); // [0,1)
                case 2 -> r.nextInt(1_000_000) / 1000.0; // short decimals
                case 3 -> (r.nextInt(2_000_000) - 1_000_000) * Math.pow(10, r.nextInt(40) - 20);
                case 4 -> r.nextDouble() * Math.pow(10, r.nextInt(600) - 300);
                case 5 -> Math.nextUp(r.nextInt(100_000) / 100.0); // neighbours of short ones
                case 6 -> Math.nextDown(r.nextInt(100_000) * 1e-7);
                case 7 -> (double) (r.nextLong() >> r.nextInt(64)); // integral values
                default -> throw new AssertionError();
            };
            if (!Double.isFinite(v)) continue;
            String expected = YojsonFloat.exact(v);
            String got = YojsonFloat.fromShortest(v);
            if (got != null) {
                fast++;
                assertEquals(
                        expected, got, () -> "value " + v + " bits " + Long.toHexString(Double.doubleToRawLongBits(v)));
            }
            assertEquals(expected, YojsonFloat.format(v), () -> "format " + v);
        }
        assertTrue(fast > 300_000, "fast path taken " + fast + " times");
    }

    @ParameterizedTest
    @CsvSource({"NaN, NaN", "Infinity, Infinity", "-Infinity, -Infinity"})
    void nonFiniteAsYojson2Writes(double v, String expected) {
        assertEquals(expected, YojsonFloat.format(v));
    }
}
