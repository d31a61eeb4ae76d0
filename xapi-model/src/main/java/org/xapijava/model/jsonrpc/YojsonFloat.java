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
        String s = fromShortest(v);
        return s != null ? s : exact(v);
    }

    /** The definition, with exact decimal arithmetic (slow: about a microsecond). */
    static String exact(double v) {
        String s = CFloat.g(v, 16);
        if (Double.parseDouble(s) != v) s = CFloat.g(v, 17);
        return needsPeriod(s) ? s.concat(".0") : s;
    }

    /** Exact powers of ten representable as doubles. */
    private static final double[] POW10 = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    };

    /**
     * The same text derived from the JDK's shortest representation ({@link Double#toString}, which since JDK 19
     * yields the shortest decimal that reads back, the closest to the value among those): with {@code k}
     * significant digits,
     * <ul>
     *   <li>{@code k = 17}: no 16-digit decimal reads back, so Yojson prints {@code %.17g}, the 17-digit decimal
     *       nearest the value, which is the shortest one;</li>
     *   <li>{@code k = 16}: the nearest 16-digit decimal reads back (its distance to the value is at most the
     *       shortest's), so {@code %.16g} is the shortest;</li>
     *   <li>{@code k <= 15}: {@code %.16g} is the shortest padded with zeros when the value lies within half a
     *       unit of the 16th digit of it; checked with one fused multiply-add and a wide safety margin.</li>
     * </ul>
     * Returns null to fall back on {@link #exact} when an argument does not apply (powers of two, whose
     * rounding interval is lopsided; values too large or small for the exact powers of ten; margins).
     */
    static String fromShortest(double v) {
        long bits = Double.doubleToRawLongBits(v);
        if ((bits & 0x000FFFFFFFFFFFFFL) == 0) return null;
        double a = Math.abs(v);
        String t = Double.toString(a);
        int ePos = t.indexOf('E');
        int end = ePos < 0 ? t.length() : ePos;
        int exp10 = ePos < 0 ? 0 : Integer.parseInt(t, ePos + 1, t.length(), 10);
        char[] d = new char[end];
        int k = 0;
        int dot = -1;
        int firstSig = -1; // index, among the digits, of the first significant one
        int digitIndex = 0;
        for (int i = 0; i < end; i++) {
            char c = t.charAt(i);
            if (c == '.') {
                dot = digitIndex;
                continue;
            }
            if (firstSig < 0 && c == '0') {
                digitIndex++;
                continue;
            }
            if (firstSig < 0) firstSig = digitIndex;
            d[k++] = c;
            digitIndex++;
        }
        while (k > 1 && d[k - 1] == '0') k--;
        int e = (dot - 1 - firstSig) + exp10; // decimal exponent of the first significant digit
        int precision;
        if (k == 17 || k == 16) {
            precision = k;
        } else {
            long digits = Long.parseLong(new String(d, 0, k));
            int q = e - (k - 1); // value of the shortest = digits * 10^q
            double delta;
            double halfUnit;
            if (q < 0 && q >= -22) {
                delta = Math.fma(a, POW10[-q], -digits); // (a - shortest) * 10^-q
                halfUnit = 0.5 / POW10[16 - k]; // half a 16th-digit unit, same scale
            } else if (q >= 0 && q <= 22) {
                delta = Math.fma(digits, POW10[q], -a); // shortest - a
                int u = e - 15;
                if (u < -22) return null;
                halfUnit = u >= 0 ? 0.5 * POW10[u] : 0.5 / POW10[-u];
            } else {
                return null;
            }
            if (!(Math.abs(delta) < halfUnit * 0.999999)) return null;
            precision = 16;
        }
        StringBuilder b = new StringBuilder(26);
        if (v < 0) b.append('-');
        if (e < -4 || e >= precision) {
            b.append(d[0]);
            if (k > 1) b.append('.').append(d, 1, k - 1);
            b.append(e < 0 ? "e-" : "e+");
            int ae = Math.abs(e);
            if (ae < 10) b.append('0');
            b.append(ae);
            return b.toString();
        }
        if (e >= 0) {
            if (k <= e + 1) {
                b.append(d, 0, k);
                for (int i = k; i <= e; i++) b.append('0');
                return b.append(".0").toString();
            }
            b.append(d, 0, e + 1).append('.').append(d, e + 1, k - e - 1);
            return b.toString();
        }
        b.append("0.");
        for (int i = -1; i > e; i--) b.append('0');
        return b.append(d, 0, k).toString();
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
