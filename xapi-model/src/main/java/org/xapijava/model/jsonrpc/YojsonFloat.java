package org.xapijava.model.jsonrpc;

import org.xapijava.model.types.CFloat;

/**
 * Formats a double exactly as Xapi's JSON writer does (Yojson 2.x, {@code Yojson.Safe.to_string}, which
 * ocaml-rpc's {@code Jsonrpc.to_string} uses):
 * <ul>
 *   <li>{@code printf "%.16g"}, or {@code "%.17g"} when the 16-digit text does not read back as the same
 *       double;</li>
 *   <li>{@code .0} appended when the text holds only digits and {@code -} (so {@code 1.0}, {@code -0.0},
 *       {@code 1e+20}, {@code 0.1}, {@code 9.223372036854776e+18});</li>
 *   <li>non-finite values as the bare words {@code NaN}, {@code Infinity}, {@code -Infinity}. That is not
 *       standard JSON, but it is what Yojson 2.x writes by default ({@code std = false}); Xapi builds with
 *       yojson 2.2.2 (xs-opam), and the XenAPI SDK test specs expect a bare {@code Infinity}. Yojson 3.0 would
 *       raise instead.</li>
 * </ul>
 * Stateless and thread-safe.
 */
public final class YojsonFloat {
    private YojsonFloat() {}

    /** 2^53: below it every integral double is exact and has at most 16 digits, so {@code %.16g} prints it as is. */
    private static final double EXACT_INT_BOUND = 9007199254740992.0;

    public static String format(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "Infinity" : "-Infinity";
        if (v == Math.rint(v) && Math.abs(v) < EXACT_INT_BOUND) {
            // fast path for the common integral values (1.0, memory sizes as floats...)
            if (v == 0) return (Double.doubleToRawLongBits(v) < 0) ? "-0.0" : "0.0";
            return Long.toString((long) v).concat(".0");
        }
        String s = CFloat.g(v, 16);
        if (Double.parseDouble(s) != v) s = CFloat.g(v, 17);
        return needsPeriod(s) ? s.concat(".0") : s;
    }

    /** True when the text could be read back as an integer (only digits and minus signs). */
    private static boolean needsPeriod(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < '0' || c > '9') && c != '-') return false;
        }
        return true;
    }
}
