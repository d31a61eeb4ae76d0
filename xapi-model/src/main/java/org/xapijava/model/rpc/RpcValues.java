package org.xapijava.model.rpc;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.xapijava.model.types.CFloat;
import org.xapijava.model.types.DateTime;

/**
 * Helpers over RPC values that reproduce texts Xapi shows to clients: ocaml-rpc's debug rendering
 * ({@code Rpc.to_string}, used in type-error messages and in {@code INVALID_VALUE} for bad UTF-8), OCaml's
 * exception printing, and OCaml's integer parsing. Stateless.
 */
public final class RpcValues {
    private RpcValues() {}

    /**
     * ocaml-rpc's {@code Rpc.to_string}: {@code S(text)}, {@code I(42)}, {@code I32(42)}, {@code B(true)},
     * {@code F(%g)}, {@code D(20240319T04:16:24Z)}, {@code B64(bytes)}, {@code [a;b]}, {@code {k:v;k2:v2}},
     * {@code N}.
     */
    public static String debugString(Object v) {
        StringBuilder b = new StringBuilder();
        appendDebug(b, v);
        return b.toString();
    }

    private static void appendDebug(StringBuilder b, Object v) {
        switch (v) {
            case null -> b.append('N');
            case String s -> b.append("S(").append(s).append(')');
            case Long l -> b.append("I(").append(l.longValue()).append(')');
            case Integer i -> b.append("I32(").append(i.intValue()).append(')');
            case Boolean x -> b.append("B(").append(x.booleanValue()).append(')');
            case Double d -> b.append("F(").append(CFloat.g(d, 6)).append(')');
            case DateTime d -> b.append("D(").append(d).append(')');
            case byte[] bytes ->
                b.append("B64(")
                        .append(new String(bytes, StandardCharsets.UTF_8))
                        .append(')');
            case List<?> l -> {
                b.append('[');
                boolean first = true;
                for (Object x : l) {
                    if (!first) b.append(';');
                    first = false;
                    appendDebug(b, x);
                }
                b.append(']');
            }
            case Map<?, ?> m -> {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) b.append(';');
                    first = false;
                    b.append(e.getKey()).append(':');
                    appendDebug(b, e.getValue());
                }
                b.append('}');
            }
            default -> b.append(v);
        }
    }

    /**
     * How OCaml's {@code Printexc.to_string} prints {@code Failure msg}: {@code Failure("msg")}, the message
     * escaped as by {@code %S}. This is the text of {@code INTERNAL_ERROR} for Xapi's parameter type errors.
     */
    public static String ocamlFailure(String msg) {
        return "Failure(" + ocamlQuoted(msg) + ")";
    }

    /**
     * OCaml's {@code %S}: the UTF-8 bytes of {@code s} in double quotes, {@code "} and {@code \} escaped with a
     * backslash, {@code \n \t \r \b} by name, other bytes outside {@code 0x20..0x7e} as {@code \ddd} (decimal).
     */
    public static String ocamlQuoted(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                case '\b' -> b.append("\\b");
                default -> {
                    if (c >= 0x20 && c <= 0x7e) {
                        b.append((char) c);
                    } else {
                        b.append('\\')
                                .append((char) ('0' + c / 100))
                                .append((char) ('0' + c / 10 % 10))
                                .append((char) ('0' + c % 10));
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /**
     * OCaml's {@code Int64.of_string}: optional sign ({@code -} or {@code +}), optional base prefix
     * ({@code 0x}, {@code 0o}, {@code 0b}, {@code 0u}, either case), digits with {@code _} allowed after the first
     * digit. Decimal values must fit in a signed 64-bit integer; other bases may use all 64 bits (wrapping to
     * negative), as OCaml does. No surrounding whitespace.
     *
     * @throws NumberFormatException when OCaml would raise {@code Failure "Int64.of_string"}
     */
    public static long parseOcamlInt64(String s) {
        long[] out = new long[1];
        if (!parseOcamlInteger(s, 64, out)) {
            throw new NumberFormatException("Int64.of_string: '" + s + "'");
        }
        return out[0];
    }

    /**
     * OCaml's {@code int_of_string} on a 64-bit host, where an {@code int} has 63 bits: the syntax of {@link
     * #parseOcamlInt64}; decimal values within [-2^62, 2^62-1]; other bases (and {@code 0u}) up to 2^63-1, values
     * above 2^62-1 wrapping to negative as OCaml's tagged integers do.
     *
     * @throws NumberFormatException when OCaml would raise {@code Failure "int_of_string"}
     */
    public static long parseOcamlInt(String s) {
        long[] out = new long[1];
        if (!parseOcamlInteger(s, 63, out)) {
            throw new NumberFormatException("int_of_string: '" + s + "'");
        }
        return out[0];
    }

    /** {@link #parseOcamlInt} without the exception: empty where OCaml raises. */
    public static OptionalLong tryParseOcamlInt(String s) {
        long[] out = new long[1];
        return parseOcamlInteger(s, 63, out) ? OptionalLong.of(out[0]) : OptionalLong.empty();
    }

    /**
     * The OCaml runtime's integer parser for {@code bits}-bit integers (63 or 64): on success stores the value
     * in {@code out[0]} and returns true.
     */
    private static boolean parseOcamlInteger(String s, int bits, long[] out) {
        int n = s.length();
        int i = 0;
        boolean neg = false;
        if (i < n && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
            neg = s.charAt(i) == '-';
            i++;
        }
        int radix = 10;
        boolean signed = true; // only a plain decimal is read as signed; 0x, 0o, 0b and 0u are unsigned
        if (i + 1 < n && s.charAt(i) == '0') {
            switch (s.charAt(i + 1)) {
                case 'x', 'X' -> radix = 16;
                case 'o', 'O' -> radix = 8;
                case 'b', 'B' -> radix = 2;
                case 'u', 'U' -> radix = 10;
                default -> radix = 0;
            }
            if (radix == 0) {
                radix = 10;
            } else {
                signed = false;
                i += 2;
            }
        }
        if (i >= n || Character.digit(s.charAt(i), radix) < 0) return false;
        // Accumulate as an unsigned 64-bit value, detecting overflow of the unsigned range.
        long acc = 0;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c == '_') continue;
            int d = Character.digit(c, radix);
            if (d < 0 || c > 0x7f) return false;
            long hi = Math.unsignedMultiplyHigh(acc, radix);
            long lo = acc * radix;
            if (hi != 0) return false;
            long next = lo + d;
            if (Long.compareUnsigned(next, lo) < 0) return false;
            acc = next;
        }
        long half = 1L << (bits - 1); // 2^(bits-1), unsigned
        if (signed) {
            // at most 2^(bits-1)-1, or 2^(bits-1) when negative
            if (Long.compareUnsigned(acc, neg ? half : half - 1) > 0) return false;
        } else if (bits < 64 && Long.compareUnsigned(acc, 1L << bits) >= 0) {
            return false; // unsigned: below 2^bits
        }
        long v = neg ? -acc : acc;
        // an OCaml int keeps the low 63 bits: sign-extend from bit 62
        out[0] = bits < 64 ? (v << (64 - bits)) >> (64 - bits) : v;
        return true;
    }
}
