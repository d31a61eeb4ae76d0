package org.xapijava.server.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class DerTest {
    private static byte[] hex(String h) {
        return HexFormat.of().parseHex(h.replace(" ", ""));
    }

    @Test
    void oidArcsAreBase128() {
        assertArrayEquals(hex("06 09 2a 86 48 86 f7 0d 01 01 0b"), Der.oid("1.2.840.113549.1.1.11"));
        assertArrayEquals(hex("06 03 55 1d 11"), Der.oid("2.5.29.17"));
        assertArrayEquals(hex("06 03 55 04 03"), Der.oid("2.5.4.3"));
    }

    @Test
    void lengthsUseLongFormFrom128() {
        assertArrayEquals(hex("04 7f"), java.util.Arrays.copyOf(Der.octetString(new byte[127]), 2));
        assertArrayEquals(hex("04 81 c8"), java.util.Arrays.copyOf(Der.octetString(new byte[200]), 3));
        assertArrayEquals(hex("04 82 01 2c"), java.util.Arrays.copyOf(Der.octetString(new byte[300]), 4));
        assertEquals(304, Der.octetString(new byte[300]).length);
    }

    @Test
    void integersAreMinimalTwosComplement() {
        assertArrayEquals(hex("02 01 02"), Der.integer(BigInteger.TWO));
        assertArrayEquals(hex("02 02 00 80"), Der.integer(BigInteger.valueOf(128)));
        assertArrayEquals(hex("02 01 00"), Der.integer(BigInteger.ZERO));
    }

    @Test
    void timesSwitchToGeneralizedTimeIn2050() {
        byte[] utc = Der.time(Instant.parse("2049-12-31T23:59:59.900Z"));
        assertEquals(0x17, utc[0]);
        assertEquals("491231235959Z", new String(utc, 2, utc.length - 2, StandardCharsets.US_ASCII));
        byte[] gen = Der.time(Instant.parse("2050-01-01T00:00:00Z"));
        assertEquals(0x18, gen[0]);
        assertEquals("20500101000000Z", new String(gen, 2, gen.length - 2, StandardCharsets.US_ASCII));
    }

    @Test
    void simpleTypes() {
        assertArrayEquals(hex("05 00"), Der.nul());
        assertArrayEquals(hex("01 01 ff"), Der.bool(true));
        assertArrayEquals(hex("03 03 00 ab cd"), Der.bitString(hex("ab cd")));
        assertArrayEquals(hex("0c 02 c3 a9"), Der.utf8String("\u00e9"));
        assertArrayEquals(hex("30 04 05 00 05 00"), Der.sequence(Der.nul(), Der.nul()));
        assertArrayEquals(hex("a3 02 05 00"), Der.explicit(3, Der.nul()));
        assertArrayEquals(hex("87 04 7f 00 00 01"), Der.implicitPrimitive(7, hex("7f000001")));
    }
}
