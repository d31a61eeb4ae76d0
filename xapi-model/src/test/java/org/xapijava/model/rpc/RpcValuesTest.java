package org.xapijava.model.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
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

    /** OCaml's 63-bit {@code int_of_string} (these cases were xapi-server's {@code OcamlInts} tests). */
    @Test
    void ocamlIntOfString() {
        assertEquals(5L, RpcValues.parseOcamlInt("5"));
        assertEquals(-5L, RpcValues.parseOcamlInt("-5"));
        assertEquals(5L, RpcValues.parseOcamlInt("+5"));
        assertEquals(255L, RpcValues.parseOcamlInt("0xff"));
        assertEquals(5L, RpcValues.parseOcamlInt("0b101"));
        assertEquals(8L, RpcValues.parseOcamlInt("0o10"));
        assertEquals(1000L, RpcValues.parseOcamlInt("1_000"));
        assertEquals((1L << 62) - 1, RpcValues.parseOcamlInt("4611686018427387903"));
        assertEquals(-(1L << 62), RpcValues.parseOcamlInt("-4611686018427387904"));
        assertThrows(
                NumberFormatException.class,
                () -> RpcValues.parseOcamlInt("4611686018427387904"),
                "decimal overflow of a 63-bit int");
        assertEquals(-1L, RpcValues.parseOcamlInt("0x7fffffffffffffff"), "other bases wrap");
        assertEquals(-1L, RpcValues.parseOcamlInt("0u9223372036854775807"), "0u too");
        assertThrows(NumberFormatException.class, () -> RpcValues.parseOcamlInt("0x8000000000000000"));
        for (String bad : List.of("", "-", "_1", "1a", "0x", " 1", "1 ", "\u0663")) {
            assertThrows(NumberFormatException.class, () -> RpcValues.parseOcamlInt(bad), bad);
            assertEquals(OptionalLong.empty(), RpcValues.tryParseOcamlInt(bad), bad);
        }
        assertEquals(OptionalLong.of(16), RpcValues.tryParseOcamlInt("0x10"));
        // the same strings as Int64.of_string where both fit
        for (String ok : List.of("0", "-0", "123", "0x7f", "0o777", "0b1_0", "0u42", "-0x10")) {
            assertEquals(RpcValues.parseOcamlInt64(ok), RpcValues.parseOcamlInt(ok), ok);
        }
    }
}
