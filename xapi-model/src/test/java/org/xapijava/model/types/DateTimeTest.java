package org.xapijava.model.types;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class DateTimeTest {
    @Test
    void xapiFormatRoundTrips() {
        for (String s : new String[] {
            "20240319T04:16:24Z",
            "19700101T00:00:00Z",
            "20240319T04:16:24",
            "20240319T04:16:24+05:30",
            "20240319T04:16:24-01:00"
        }) {
            assertEquals(s, DateTime.parse(s).toString());
        }
    }

    @Test
    void acceptsRfc3339() {
        assertEquals(
                "20240319T04:16:24Z", DateTime.parse("2024-03-19T04:16:24Z").toString());
        assertEquals(
                "20240319T04:16:24Z", DateTime.parse("2024-03-19T04:16:24.123Z").toString());
        assertEquals(
                "20240319T04:16:24+02:00",
                DateTime.parse("2024-03-19T04:16:24+0200").toString());
    }

    @Test
    void zoneLessValuesKeepNoZone() {
        DateTime d = DateTime.parse("20240319T04:16:24");
        assertNull(d.offset());
        assertEquals(Instant.parse("2024-03-19T04:16:24Z"), d.toInstant());
    }

    @Test
    void epochAndInstant() {
        assertEquals(DateTime.EPOCH, DateTime.ofInstant(Instant.EPOCH));
        assertEquals(ZoneOffset.UTC, DateTime.now().offset());
    }

    @Test
    void rejectsGarbage() {
        for (String bad : new String[] {
            "", "2024", "20241319T04:16:24Z", "20240319T04:16:24Q", "20240319X04:16:24Z", "abcdefghijklmnopq"
        }) {
            assertThrows(IllegalArgumentException.class, () -> DateTime.parse(bad), bad);
        }
    }
}
