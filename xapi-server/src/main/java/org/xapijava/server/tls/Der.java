package org.xapijava.server.tls;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * A minimal ASN.1 DER encoder: just the types an X.509 certificate and a PKCS#8 wrapper need.
 *
 * <p>Every method returns the complete encoding (tag, definite length, contents) of one value, so
 * values compose by nesting calls. Inputs are not validated beyond what the encoding itself needs;
 * callers pass well-formed values (for instance, {@link #integer(byte[])} takes the exact two's
 * complement contents octets).
 */
final class Der {
    static final int TAG_BOOLEAN = 0x01;
    static final int TAG_INTEGER = 0x02;
    static final int TAG_BIT_STRING = 0x03;
    static final int TAG_OCTET_STRING = 0x04;
    static final int TAG_NULL = 0x05;
    static final int TAG_OID = 0x06;
    static final int TAG_UTF8_STRING = 0x0c;
    static final int TAG_IA5_STRING = 0x16;
    static final int TAG_UTC_TIME = 0x17;
    static final int TAG_GENERALIZED_TIME = 0x18;
    static final int TAG_SEQUENCE = 0x30;
    static final int TAG_SET = 0x31;

    /** RFC 5280 4.1.2.5: dates up to 2049 are UTCTime, later ones GeneralizedTime. */
    private static final int LAST_UTC_TIME_YEAR = 2049;

    private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'");
    private static final DateTimeFormatter GENERALIZED_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'");

    private Der() {}

    /** One TLV with the given identifier octet and contents. */
    static byte[] tlv(int tag, byte[] contents) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(contents.length + 6);
        out.write(tag);
        writeLength(out, contents.length);
        out.writeBytes(contents);
        return out.toByteArray();
    }

    private static void writeLength(ByteArrayOutputStream out, int length) {
        if (length < 0x80) {
            out.write(length);
            return;
        }
        int bytes = (Integer.SIZE - Integer.numberOfLeadingZeros(length) + 7) / 8;
        out.write(0x80 | bytes);
        for (int i = bytes - 1; i >= 0; i--) {
            out.write((length >>> (8 * i)) & 0xff);
        }
    }

    /** Concatenation of already encoded values. */
    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** SEQUENCE of the given encoded elements, in order. */
    static byte[] sequence(byte[]... elements) {
        return tlv(TAG_SEQUENCE, concat(elements));
    }

    /**
     * SET of a single encoded element (DER orders SET OF members; with one member there is nothing to
     * order, which is all X.509 names built here need).
     */
    static byte[] setOf(byte[] element) {
        return tlv(TAG_SET, element);
    }

    /** INTEGER from a number (minimal two's complement). */
    static byte[] integer(BigInteger value) {
        return tlv(TAG_INTEGER, value.toByteArray());
    }

    /** INTEGER whose contents octets are exactly {@code contents} (caller keeps them minimal). */
    static byte[] integer(byte[] contents) {
        return tlv(TAG_INTEGER, contents.clone());
    }

    static byte[] bool(boolean value) {
        return tlv(TAG_BOOLEAN, new byte[] {(byte) (value ? 0xff : 0x00)});
    }

    static byte[] nul() {
        return new byte[] {TAG_NULL, 0x00};
    }

    static byte[] octetString(byte[] contents) {
        return tlv(TAG_OCTET_STRING, contents);
    }

    /** BIT STRING holding whole octets (no unused bits). */
    static byte[] bitString(byte[] octets) {
        byte[] contents = new byte[octets.length + 1];
        System.arraycopy(octets, 0, contents, 1, octets.length);
        return tlv(TAG_BIT_STRING, contents);
    }

    static byte[] utf8String(String s) {
        return tlv(TAG_UTF8_STRING, s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] ia5String(String s) {
        return tlv(TAG_IA5_STRING, ascii(s));
    }

    /**
     * An X.509 Time: UTCTime through 2049, GeneralizedTime from 2050, both to the second in UTC
     * (fractions of a second are dropped).
     */
    static byte[] time(Instant instant) {
        ZonedDateTime t = instant.truncatedTo(ChronoUnit.SECONDS).atZone(ZoneOffset.UTC);
        if (t.getYear() <= LAST_UTC_TIME_YEAR && t.getYear() >= 1950) {
            return tlv(TAG_UTC_TIME, ascii(UTC_TIME.format(t)));
        }
        return tlv(TAG_GENERALIZED_TIME, ascii(GENERALIZED_TIME.format(t)));
    }

    /** OBJECT IDENTIFIER from dotted decimal ("2.5.29.17"). */
    static byte[] oid(String dotted) {
        String[] arcs = dotted.split("\\.");
        if (arcs.length < 2) {
            throw new IllegalArgumentException("OID needs at least two arcs: " + dotted);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeBase128(
                out, new BigInteger(arcs[0]).multiply(BigInteger.valueOf(40)).add(new BigInteger(arcs[1])));
        for (int i = 2; i < arcs.length; i++) {
            writeBase128(out, new BigInteger(arcs[i]));
        }
        return tlv(TAG_OID, out.toByteArray());
    }

    private static void writeBase128(ByteArrayOutputStream out, BigInteger value) {
        int groups = Math.max(1, (value.bitLength() + 6) / 7);
        for (int g = groups - 1; g >= 0; g--) {
            int septet = value.shiftRight(7 * g).intValue() & 0x7f;
            out.write(g == 0 ? septet : septet | 0x80);
        }
    }

    /** [n] EXPLICIT: a constructed context-specific tag wrapping one complete encoding. */
    static byte[] explicit(int tagNumber, byte[] encoded) {
        return tlv(0xa0 | tagNumber, encoded);
    }

    /** [n] IMPLICIT on a primitive type: context-specific tag over the given contents octets. */
    static byte[] implicitPrimitive(int tagNumber, byte[] contents) {
        return tlv(0x80 | tagNumber, contents);
    }

    static byte[] ascii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7f) {
                throw new IllegalArgumentException("not ASCII: " + s);
            }
        }
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
