package org.xapijava.model.jsonrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

    @ParameterizedTest
    @CsvSource({"NaN, NaN", "Infinity, Infinity", "-Infinity, -Infinity"})
    void nonFiniteAsYojson2Writes(double v, String expected) {
        assertEquals(expected, YojsonFloat.format(v));
    }
}
