package org.xapijava.model.types;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Formats doubles as C's {@code printf("%.<p>g")} does (OCaml's Printf follows C): {@code p} significant
 * digits, trailing zeros removed, exponent form {@code 1e+20} when the exponent is below -4 or at least
 * {@code p}. Non-finite values print {@code inf}, {@code -inf}, {@code nan}. Stateless.
 */
public final class CFloat {
    private CFloat() {}

    public static String g(double v, int precision) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        if (v == 0) return (1 / v < 0) ? "-0" : "0";
        BigDecimal bd = new BigDecimal(v).round(new MathContext(precision, RoundingMode.HALF_EVEN));
        int exp = bd.precision() - bd.scale() - 1;
        if (exp < -4 || exp >= precision) {
            BigDecimal mant = bd.movePointLeft(exp);
            String m = strip(mant.toPlainString());
            String e = Integer.toString(Math.abs(exp));
            return m + "e" + (exp < 0 ? "-" : "+") + (e.length() < 2 ? "0" + e : e);
        }
        return strip(bd.toPlainString());
    }

    private static String strip(String s) {
        if (s.indexOf('.') < 0) return s;
        int end = s.length();
        while (s.charAt(end - 1) == '0') end--;
        if (s.charAt(end - 1) == '.') end--;
        return s.substring(0, end);
    }

    /** Parses what OCaml's float_of_string accepts for the values the server writes ({@code inf}, {@code nan}, decimals). */
    public static double parse(String s) {
        String t = s.trim();
        switch (t) {
            case "inf", "+inf", "infinity" -> {
                return Double.POSITIVE_INFINITY;
            }
            case "-inf", "-infinity" -> {
                return Double.NEGATIVE_INFINITY;
            }
            case "nan", "-nan" -> {
                return Double.NaN;
            }
            default -> {
                if (t.isEmpty()
                        || t.indexOf('x') >= 0
                        || t.indexOf('X') >= 0
                        || t.endsWith("d")
                        || t.endsWith("f")
                        || t.endsWith("D")
                        || t.endsWith("F")) {
                    throw new NumberFormatException("not a float: '" + s + "'");
                }
                return Double.parseDouble(t.replace("_", ""));
            }
        }
    }
}
