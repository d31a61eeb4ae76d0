package org.xapijava.server.vm;

import java.math.BigInteger;

/**
 * OCaml's {@code int_of_string} on a 64-bit host (63-bit ints), which Xapi applies to device names:
 * optional sign, optional base prefix ({@code 0x}, {@code 0o}, {@code 0b}, {@code 0u}), digits with
 * {@code _} allowed after the first, decimal values within [-2^62, 2^62-1] and other bases up to
 * 2^63-1 (read as negative when they exceed 2^62-1). Stateless.
 */
final class OcamlInts {
    private static final BigInteger MAX_SIGNED = BigInteger.ONE.shiftLeft(62).subtract(BigInteger.ONE);
    private static final BigInteger MIN_SIGNED = BigInteger.ONE.shiftLeft(62).negate();
    private static final BigInteger MAX_UNSIGNED = BigInteger.ONE.shiftLeft(63).subtract(BigInteger.ONE);
    private static final BigInteger WRAP = BigInteger.ONE.shiftLeft(63);

    private OcamlInts() {}

    /** The value, or null where OCaml raises {@code Failure "int_of_string"}. */
    static Long parse(String s) {
        int i = 0;
        int n = s.length();
        boolean negative = false;
        if (i < n && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        int base = 10;
        boolean signedDecimal = true;
        if (i + 1 < n && s.charAt(i) == '0') {
            switch (s.charAt(i + 1)) {
                case 'x', 'X' -> base = 16;
                case 'o', 'O' -> base = 8;
                case 'b', 'B' -> base = 2;
                case 'u', 'U' -> base = 10;
                default -> base = 0;
            }
            if (base != 0) {
                signedDecimal = false;
                i += 2;
            } else {
                base = 10;
            }
        }
        if (i >= n || Character.digit(s.charAt(i), base) < 0 || s.charAt(i) > 'z') return null;
        BigInteger v = BigInteger.ZERO;
        BigInteger b = BigInteger.valueOf(base);
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c == '_') continue;
            int d = c > 'z' ? -1 : Character.digit(c, base);
            if (d < 0) return null;
            v = v.multiply(b).add(BigInteger.valueOf(d));
            if (v.compareTo(MAX_UNSIGNED) > 0) return null;
        }
        if (signedDecimal) {
            BigInteger r = negative ? v.negate() : v;
            if (r.compareTo(MAX_SIGNED) > 0 || r.compareTo(MIN_SIGNED) < 0) return null;
            return r.longValueExact();
        }
        BigInteger r = v.compareTo(MAX_SIGNED) > 0 ? v.subtract(WRAP) : v;
        if (negative) r = r.negate();
        return r.longValue();
    }
}
