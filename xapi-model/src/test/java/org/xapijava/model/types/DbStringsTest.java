package org.xapijava.model.types;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DbStringsTest {
    @Test
    void scalarsAsXapiStoresThem() {
        assertEquals("true", DbStrings.toDb(XType.BOOL, true));
        assertEquals("-12", DbStrings.toDb(XType.INT, -12L));
        assertEquals("0.100000000000000006", DbStrings.toDb(XType.FLOAT, 0.1));
        assertEquals("19700101T00:00:00Z", DbStrings.toDb(XType.DATETIME, DateTime.EPOCH));
        assertEquals("Halted", DbStrings.toDb(XType.parse("enum vm_power_state"), "Halted"));
    }

    @Test
    void setsAndMapsAsSExpressions() {
        assertEquals("()", DbStrings.toDb(XType.parse("string set"), List.of()));
        assertEquals("('a' 'b c')", DbStrings.toDb(XType.parse("string set"), List.of("a", "b c")));
        assertEquals(
                "('it\\'s' 'back\\\\slash')",
                DbStrings.toDb(XType.parse("string set"), List.of("it's", "back\\slash")));
        Map<Object, Object> m = new LinkedHashMap<>();
        m.put("folder", "/x");
        m.put("k'", "v");
        assertEquals("(('folder' '/x') ('k\\'' 'v'))", DbStrings.toDb(XType.parse("(string -> string) map"), m));
        assertEquals("(('1' '2'))", DbStrings.toDb(XType.parse("(int -> int) map"), Map.of(1L, 2L)));
    }

    @Test
    void roundTrips() {
        XType mt = XType.parse("(string -> string) map");
        Map<Object, Object> m = new LinkedHashMap<>();
        m.put("a b", "c'd\\e");
        m.put("", "()");
        assertEquals(m, DbStrings.fromDb(mt, DbStrings.toDb(mt, m)));
        XType st = XType.parse("int set");
        assertEquals(List.of(1L, -2L), DbStrings.fromDb(st, "('1' '-2')"));
        assertEquals(0.1, DbStrings.fromDb(XType.FLOAT, "0.100000000000000006"));
        assertEquals(Boolean.FALSE, DbStrings.fromDb(XType.BOOL, "false"));
    }

    @Test
    void rejectsMalformed() {
        assertThrows(IllegalArgumentException.class, () -> DbStrings.fromDb(XType.BOOL, "yes"));
        assertThrows(IllegalArgumentException.class, () -> DbStrings.fromDb(XType.INT, "12x"));
        assertThrows(IllegalArgumentException.class, () -> DbStrings.fromDb(XType.parse("string set"), "('a'"));
        assertThrows(
                IllegalArgumentException.class,
                () -> DbStrings.fromDb(XType.parse("(string -> string) map"), "(('a'))"));
    }
}
