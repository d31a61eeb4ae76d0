package org.xapijava.model.types;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Expected strings are what C's printf("%.16g") / ("%.18g") prints for the same doubles. */
class CFloatTest {
    @Test
    void matchesPrintfG16() {
        assertEquals("1", CFloat.g(1.0, 16));
        assertEquals("0.1", CFloat.g(0.1, 16));
        assertEquals("1e+20", CFloat.g(1e20, 16));
        assertEquals("1e-05", CFloat.g(1e-5, 16));
        assertEquals("0.0001", CFloat.g(1e-4, 16));
        assertEquals("123456789.123", CFloat.g(123456789.123, 16));
        assertEquals("-2.5", CFloat.g(-2.5, 16));
        assertEquals("1e+16", CFloat.g(1e16, 16));
        assertEquals("1000000000000000", CFloat.g(1e15, 16));
        assertEquals("0", CFloat.g(0.0, 16));
        assertEquals("-0", CFloat.g(-0.0, 16));
        assertEquals("inf", CFloat.g(Double.POSITIVE_INFINITY, 16));
        assertEquals("-inf", CFloat.g(Double.NEGATIVE_INFINITY, 16));
        assertEquals("nan", CFloat.g(Double.NaN, 16));
    }

    @Test
    void matchesPrintfG18() {
        assertEquals("0.100000000000000006", CFloat.g(0.1, 18));
        assertEquals("1", CFloat.g(1.0, 18));
        assertEquals("3.14159265358979312", CFloat.g(Math.PI, 18));
    }

    @Test
    void parsesWhatItPrints() {
        for (double d : new double[] {0.1, 1e20, -2.5, 123456789.123, Math.PI}) {
            assertEquals(d, CFloat.parse(CFloat.g(d, 18)));
        }
        assertEquals(Double.POSITIVE_INFINITY, CFloat.parse("inf"));
        assertEquals(1.0, CFloat.parse("1."));
    }
}
