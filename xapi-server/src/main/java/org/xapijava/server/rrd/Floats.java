package org.xapijava.server.rrd;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Numbers as Xapi's RRD library writes them ({@code Rrd_utils.f_to_s}): C's {@code %0.15g} for normal numbers,
 * {@code NaN}, {@code Infinity}, {@code -Infinity}, and {@code 0.0} for zero. Stateless.
 */
public final class Floats {
    private static final MathContext SIGNIFICANT_15 = new MathContext(15, RoundingMode.HALF_EVEN);

    private Floats() {}

    /** {@code f_to_s}. */
    public static String toString(double f) {
        if (Double.isNaN(f)) return "NaN";
        if (Double.isInfinite(f)) return f > 0 ? "Infinity" : "-Infinity";
        if (f == 0.0) return "0.0";
        return g15(f);
    }

    /** C's {@code %.15g}: 15 significant digits, trailing zeros dropped, exponent form below 1e-4 or from 1e15. */
    static String g15(double f) {
        BigDecimal d = new BigDecimal(f).round(SIGNIFICANT_15);
        int exponent = d.precision() - d.scale() - 1; // of the leading digit
        if (exponent < -4 || exponent >= 15) {
            BigDecimal mantissa = d.movePointLeft(exponent).stripTrailingZeros();
            String m = mantissa.toPlainString();
            int e = Math.abs(exponent);
            return m + (exponent < 0 ? "e-" : "e+") + (e < 10 ? "0" : "") + e;
        }
        String s = d.stripTrailingZeros().toPlainString();
        return s;
    }

    /** Xapi's {@code float_of_string} of the forms above (and any other decimal). */
    public static double parse(String s) {
        String t = s.trim();
        return switch (t) {
            case "NaN", "nan", "-nan" -> Double.NaN;
            case "Infinity", "inf", "infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity", "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(t);
        };
    }
}
