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
        String fast = fastG15(f);
        return fast != null ? fast : exactG15(f);
    }

    /**
     * {@link #g15} from the shortest decimal that reads back as {@code f} ({@link Double#toString}, shortest since
     * JDK 19), rounded to 15 digits: the same digits as rounding {@code f}'s exact value, since no decimal of 16 or
     * fewer digits lies between the two (it would be a shorter or nearer decimal reading back as {@code f}), except
     * when the shortest decimal is itself a tie ({@code ...5} in its 16th place, nothing after), or for a subnormal
     * (fewer bits than 15 digits need): then null.
     */
    static String fastG15(double f) {
        if (Math.abs(f) < Double.MIN_NORMAL) return null;
        String r = Double.toString(Math.abs(f));
        int e = r.indexOf('E');
        int exp10 = e < 0 ? 0 : Integer.parseInt(r.substring(e + 1));
        String m = e < 0 ? r : r.substring(0, e);
        int dot = m.indexOf('.');
        String digits = m.substring(0, dot) + m.substring(dot + 1);
        int lead = 0;
        while (lead < digits.length() - 1 && digits.charAt(lead) == '0') lead++;
        int exponent = dot - 1 - lead + exp10; // of the leading digit
        int end = digits.length();
        while (end > lead + 1 && digits.charAt(end - 1) == '0') end--;
        String d = digits.substring(lead, end);
        if (d.length() > 15) {
            String tail = d.substring(15);
            if (tail.equals("5")) return null;
            char[] c = d.substring(0, 15).toCharArray();
            if (tail.charAt(0) >= '5') {
                int i = c.length - 1;
                while (i >= 0 && c[i] == '9') c[i--] = '0';
                if (i < 0) {
                    exponent++;
                    c[0] = '1';
                } else {
                    c[i]++;
                }
            }
            int n = c.length;
            while (n > 1 && c[n - 1] == '0') n--;
            d = new String(c, 0, n);
        }
        StringBuilder b = new StringBuilder(24);
        if (f < 0) b.append('-');
        if (exponent < -4 || exponent >= 15) {
            b.append(d.charAt(0));
            if (d.length() > 1) b.append('.').append(d, 1, d.length());
            int x = Math.abs(exponent);
            b.append(exponent < 0 ? "e-" : "e+");
            if (x < 10) b.append('0');
            return b.append(x).toString();
        }
        if (exponent >= 0) {
            if (d.length() <= exponent + 1) {
                b.append(d);
                for (int i = d.length(); i <= exponent; i++) b.append('0');
            } else {
                b.append(d, 0, exponent + 1).append('.').append(d, exponent + 1, d.length());
            }
            return b.toString();
        }
        b.append("0.");
        for (int i = -1; i > exponent; i--) b.append('0');
        return b.append(d).toString();
    }

    /** {@link #g15} by rounding {@code f}'s exact value. */
    static String exactG15(double f) {
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
