package org.xapijava.server.network;

import java.util.Optional;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;

/**
 * Xapi's address checks ({@code Helpers.is_valid_ip}, {@code assert_is_valid_ip}, {@code parse_cidr},
 * {@code assert_is_valid_cidr}, {@code assert_is_valid_ip_addr}), each with the grammar of the library Xapi uses:
 *
 * <ul>
 *   <li>an IP address is what OCaml's {@code Unix.inet_addr_of_string} accepts, i.e. glibc's {@code inet_pton}:
 *       four decimal parts of at most 255 without leading zeros for IPv4; for IPv6 up to eight groups of one to four
 *       hex digits, one {@code ::}, an IPv4 tail, no zone or brackets;
 *   <li>a CIDR is what the {@code ipaddr} library's {@code Prefix.of_string} accepts: the address (IPv4 parts
 *       written in octal refused; IPv6 groups of any number of hex digits whose value fits 16 bits, an IPv4 tail,
 *       even within brackets), {@code /}, then a decimal prefix length (leading zeros allowed) up to 32 or 128.
 *       Its address is given back unmasked, IPv6 in RFC 5952 form ({@code ipaddr}'s {@code to_string}).
 * </ul>
 *
 * Stateless.
 */
public final class IpAddresses {
    /** The address family a check is for. */
    public enum Kind {
        IPV4,
        IPV6
    }

    /** A parsed CIDR: its address in canonical form and its prefix length. */
    public record Cidr(String address, int bits) {}

    private IpAddresses() {}

    // ------------------------------------------------------------------------------------------- checks

    /** {@code assert_is_valid_ip}: {@code INVALID_IP_ADDRESS_SPECIFIED [field]} unless an address of the kind. */
    public static void assertValidIp(Kind kind, String field, String address) {
        if (!isValidIp(kind, address)) throw new ApiError(ErrorCodes.INVALID_IP_ADDRESS_SPECIFIED, field);
    }

    /** {@code assert_is_valid_cidr}: {@code INVALID_CIDR_ADDRESS_SPECIFIED [field]} unless a CIDR of the kind. */
    public static void assertValidCidr(Kind kind, String field, String cidr) {
        if (parseCidr(kind, cidr).isEmpty()) throw new ApiError(ErrorCodes.INVALID_CIDR_ADDRESS_SPECIFIED, field);
    }

    /**
     * {@code assert_is_valid_ip_addr}: an address or a CIDR of the kind, else
     * {@code INVALID_IP_ADDRESS_SPECIFIED [field]}.
     */
    public static void assertValidIpOrCidr(Kind kind, String field, String address) {
        if (!isValidIp(kind, address) && parseCidr(kind, address).isEmpty()) {
            throw new ApiError(ErrorCodes.INVALID_IP_ADDRESS_SPECIFIED, field);
        }
    }

    // ------------------------------------------------------------------------------------------- inet_pton

    /** {@code is_valid_ip}: whether {@code inet_pton} reads {@code s} as an address of the kind (IPv4 tried first). */
    public static boolean isValidIp(Kind kind, String s) {
        boolean v4 = ptonV4(s, 0, s.length());
        return kind == Kind.IPV4 ? v4 : !v4 && ptonV6(s);
    }

    /** glibc's {@code inet_pton4} on {@code s[from, to)}. */
    private static boolean ptonV4(String s, int from, int to) {
        int parts = 0;
        int value = 0;
        boolean sawDigit = false;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                if (sawDigit && value == 0) return false; // a leading zero
                value = value * 10 + (c - '0');
                if (value > 255) return false;
                if (!sawDigit) {
                    if (++parts > 4) return false;
                    sawDigit = true;
                }
            } else if (c == '.' && sawDigit) {
                if (parts == 4) return false;
                value = 0;
                sawDigit = false;
            } else {
                return false;
            }
        }
        return parts == 4 && sawDigit;
    }

    /** glibc's {@code inet_pton6}. */
    private static boolean ptonV6(String s) {
        int n = s.length();
        if (n == 0) return false;
        int i = 0;
        if (s.charAt(0) == ':') {
            if (n < 2 || s.charAt(1) != ':') return false;
            i = 1;
        }
        int bytes = 0; // bytes written so far (16 in all)
        boolean compressed = false;
        int digits = 0;
        int tokenStart = i;
        while (i < n) {
            char c = s.charAt(i++);
            if (Character.digit(c, 16) >= 0 && c < 128) {
                if (digits == 4) return false;
                digits++;
                continue;
            }
            if (c == ':') {
                tokenStart = i;
                if (digits == 0) {
                    if (compressed) return false;
                    compressed = true;
                    continue;
                }
                if (i == n) return false; // a trailing single colon
                if (bytes + 2 > 16) return false;
                bytes += 2;
                digits = 0;
                continue;
            }
            if (c == '.' && bytes + 4 <= 16 && ptonV4(s, tokenStart, n)) {
                bytes += 4;
                digits = 0;
                i = n;
                break;
            }
            return false;
        }
        if (digits > 0) {
            if (bytes + 2 > 16) return false;
            bytes += 2;
        }
        if (compressed) return bytes != 16;
        return bytes == 16;
    }

    // ------------------------------------------------------------------------------------------- ipaddr

    /** {@code parse_cidr}: the CIDR's address and prefix length, or empty when {@code ipaddr} refuses it. */
    public static Optional<Cidr> parseCidr(Kind kind, String s) {
        try {
            Reader r = new Reader(s);
            String address;
            int max;
            if (kind == Kind.IPV4) {
                address = v4ToString(r.dottedQuad());
                max = 32;
            } else {
                address = v6ToString(r.ipv6());
                max = 128;
            }
            r.expect('/');
            long bits = r.decimal();
            if (bits > max) return Optional.empty();
            r.expectEnd();
            return Optional.of(new Cidr(address, (int) bits));
        } catch (ParseError e) {
            return Optional.empty();
        }
    }

    /** Refusal of the {@code ipaddr} grammar (its {@code Parse_error}). */
    private static final class ParseError extends Exception {
        private static final long serialVersionUID = 1L;

        ParseError() {
            super(null, null, false, false);
        }
    }

    /** {@code ipaddr}'s parser over one string, with its position. */
    private static final class Reader {
        /** Above every value a part can take: digits past it keep the number out of range without overflowing. */
        private static final long CAP = 1L << 40;

        private final String s;
        private int i;

        Reader(String s) {
            this.s = s;
        }

        private boolean more() {
            return i < s.length();
        }

        private char peek() {
            return s.charAt(i);
        }

        private static int digit(char c, int base) {
            int d = c < 128 ? Character.digit(c, 16) : -1;
            return d >= 0 && d < base ? d : -1;
        }

        /** {@code parse_int}: one digit at least, then as many as follow. */
        private long number(int base) throws ParseError {
            if (!more() || digit(peek(), base) < 0) throw new ParseError();
            long v = 0;
            while (more() && digit(peek(), base) >= 0) {
                v = Math.min(CAP, v * base + digit(peek(), base));
                i++;
            }
            return v;
        }

        long decimal() throws ParseError {
            return number(10);
        }

        void expect(char c) throws ParseError {
            if (!more() || peek() != c) throw new ParseError();
            i++;
        }

        void expectEnd() throws ParseError {
            if (more()) throw new ParseError();
        }

        /** {@code reject_octal}: a part starting with 0 followed by a digit. */
        private void rejectOctal() throws ParseError {
            if (i + 1 < s.length() && s.charAt(i) == '0' && digit(s.charAt(i + 1), 10) >= 0) throw new ParseError();
        }

        /** {@code V4.parse_dotted_quad}: the address as an unsigned 32-bit value. */
        long dottedQuad() throws ParseError {
            long v = 0;
            for (int k = 0; k < 4; k++) {
                if (k > 0) expect('.');
                rejectOctal();
                long part = decimal();
                if (part > 255) throw new ParseError();
                v = (v << 8) | part;
            }
            return v;
        }

        /** {@code V6.parse_ipv6}: the eight 16-bit groups. */
        int[] ipv6() throws ParseError {
            int len = s.length();
            if (len < i + 1) throw new ParseError();
            boolean bracket = peek() == '[';
            if (bracket) i++;
            if (len < i + 2) throw new ParseError();
            // the components in order; -1 stands for the "::"
            java.util.List<Long> parts = new java.util.ArrayList<>();
            boolean compressed = false;
            if (peek() == ':') {
                i++;
                if (peek() != ':') throw new ParseError();
                compressed = true;
                i++;
                parts.add(-1L);
            }
            int nb = parts.size();
            while (nb < 8 && i < len) {
                int pos = i;
                long x;
                try {
                    x = number(16);
                } catch (ParseError e) {
                    break;
                }
                if (nb == 7) {
                    parts.add(x);
                    break;
                }
                if (i < len && peek() == ':') {
                    i++;
                    if (i >= len) throw new ParseError();
                    if (peek() == ':') {
                        if (compressed) { // a second "::": the colon is left for the caller to refuse
                            i--;
                            parts.add(x);
                            break;
                        }
                        compressed = true;
                        i++;
                        parts.add(x);
                        parts.add(-1L);
                        nb += 2;
                    } else if (digit(peek(), 16) >= 0) {
                        parts.add(x);
                        nb++;
                    } else {
                        throw new ParseError();
                    }
                } else if (i < len && peek() == '.') {
                    i = pos;
                    long v4 = dottedQuad();
                    parts.add(v4 >>> 16);
                    parts.add(v4 & 0xffff);
                    break;
                } else {
                    parts.add(x);
                    break;
                }
            }
            int n = parts.size();
            if (n > 8 || n == 0) throw new ParseError();
            int missing;
            if (compressed) missing = 8 - (n - 1);
            else if (n != 8) throw new ParseError();
            else missing = 0;
            int[] groups = new int[8];
            int at = 0;
            for (long p : parts) {
                if (p == -1) {
                    at += missing;
                } else {
                    if (p > 0xffff) throw new ParseError();
                    groups[at++] = (int) p;
                }
            }
            if (bracket) expect(']');
            return groups;
        }
    }

    private static String v4ToString(long v) {
        return ((v >>> 24) & 255) + "." + ((v >>> 16) & 255) + "." + ((v >>> 8) & 255) + "." + (v & 255);
    }

    /** RFC 5952: lower-case hex, the first longest run of two or more zero groups as {@code ::}, IPv4-mapped dotted. */
    static String v6ToString(int[] g) {
        boolean mapped = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xffff;
        int bestStart = -1;
        int bestLen = 1;
        for (int k = 0; k < 8; ) {
            if (g[k] != 0) {
                k++;
                continue;
            }
            int start = k;
            while (k < 8 && g[k] == 0) k++;
            if (k - start > bestLen) {
                bestLen = k - start;
                bestStart = start;
            }
        }
        int end = mapped ? 6 : 8; // the IPv4-mapped form writes the last two groups as a dotted quad
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < end; k++) {
            if (k == bestStart) {
                b.append("::");
                k += bestLen - 1;
                continue;
            }
            if (b.length() > 0 && b.charAt(b.length() - 1) != ':') b.append(':');
            b.append(Integer.toHexString(g[k]));
        }
        if (mapped) {
            b.append(':');
            b.append(v4ToString(((long) g[6] << 16) | g[7]));
        }
        return b.toString();
    }
}
