package org.xapijava.model.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.types.DateTime;

class RpcValuesTest {

    @Test
    void debugStringIsOcamlRpcToString() {
        assertEquals("S(true)", RpcValues.debugString("true"));
        assertEquals("I(42)", RpcValues.debugString(42L));
        assertEquals("I32(7)", RpcValues.debugString(7));
        assertEquals("B(false)", RpcValues.debugString(false));
        assertEquals("F(0.1)", RpcValues.debugString(0.1));
        assertEquals("F(1.23457e+09)", RpcValues.debugString(1234567890.0));
        assertEquals("D(19700101T00:00:00Z)", RpcValues.debugString(DateTime.EPOCH));
        assertEquals("B64(hi)", RpcValues.debugString("hi".getBytes(StandardCharsets.UTF_8)));
        assertEquals("N", RpcValues.debugString(null));
        assertEquals("[S(a);I(1);[]]", RpcValues.debugString(List.of("a", 1L, List.of())));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("k", "v");
        m.put("n", Arrays.asList((Object) null));
        assertEquals("{k:S(v);n:[N]}", RpcValues.debugString(m));
    }

    @Test
    void ocamlFailureText() {
        assertEquals(
                "Failure(\"Expected bool, got 'S(true)'\")", RpcValues.ocamlFailure("Expected bool, got 'S(true)'"));
        assertEquals("\"a\\\"b\\\\c\\n\\t\\195\\169\\001\"", RpcValues.ocamlQuoted("a\"b\\c\n\t\u00e9\u0001"));
    }

    @Test
    void ocamlInt64OfString() {
        assertEquals(123L, RpcValues.parseOcamlInt64("123"));
        assertEquals(-123L, RpcValues.parseOcamlInt64("-123"));
        assertEquals(123L, RpcValues.parseOcamlInt64("+123"));
        assertEquals(1_000_000L, RpcValues.parseOcamlInt64("1_000_000"));
        assertEquals(255L, RpcValues.parseOcamlInt64("0xff"));
        assertEquals(255L, RpcValues.parseOcamlInt64("0XFF"));
        assertEquals(8L, RpcValues.parseOcamlInt64("0o10"));
        assertEquals(5L, RpcValues.parseOcamlInt64("0b101"));
        assertEquals(-1L, RpcValues.parseOcamlInt64("0xffffffffffffffff"));
        assertEquals(Long.MAX_VALUE, RpcValues.parseOcamlInt64("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, RpcValues.parseOcamlInt64("-9223372036854775808"));
        assertEquals(-1L, RpcValues.parseOcamlInt64("0u18446744073709551615"));
        for (String bad : List.of(
                "",
                "-",
                "0x",
                "abc",
                "12a",
                " 1",
                "1 ",
                "_1",
                "9223372036854775808",
                "-9223372036854775809",
                "0x10000000000000000",
                "1.5",
                "\u0661")) {
            assertThrows(NumberFormatException.class, () -> RpcValues.parseOcamlInt64(bad), bad);
        }
    }
}
