package org.xapijava.model.types;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * A XenAPI {@code datetime}: whole seconds, with a UTC offset or, as Xapi allows, none at all.
 *
 * <p>Wire form ({@link #toString()}): {@code YYYYMMDDTHH:MM:SS} followed by {@code Z} (offset 0),
 * {@code +HH:MM}/{@code -HH:MM}, or nothing when the value carries no zone. {@link #parse} accepts that
 * form and RFC 3339 with hyphens ({@code 2024-03-19T04:16:24Z}, fractions of a second ignored).
 * Immutable.
 */
public record DateTime(LocalDateTime local, ZoneOffset offset) implements Comparable<DateTime> {

    /** {@code 19700101T00:00:00Z}, the datamodel's default datetime. */
    public static final DateTime EPOCH = new DateTime(LocalDateTime.of(1970, 1, 1, 0, 0, 0), ZoneOffset.UTC);

    public DateTime {
        Objects.requireNonNull(local);
        local = local.truncatedTo(ChronoUnit.SECONDS);
    }

    public static DateTime ofInstant(Instant i) {
        return new DateTime(LocalDateTime.ofEpochSecond(i.getEpochSecond(), 0, ZoneOffset.UTC), ZoneOffset.UTC);
    }

    public static DateTime now() {
        return ofInstant(Instant.now());
    }

    /** The instant; a value without zone is taken as UTC (as Xapi does). */
    public Instant toInstant() {
        return local.toInstant(offset == null ? ZoneOffset.UTC : offset);
    }

    /**
     * Parses a datetime.
     *
     * @throws IllegalArgumentException with a message naming the text when it is not a datetime
     */
    public static DateTime parse(String text) {
        String s = text.trim();
        try {
            int i = 0;
            int year, month, day;
            if (s.length() >= 10 && s.charAt(4) == '-' && s.charAt(7) == '-') {
                year = num(s, 0, 4);
                month = num(s, 5, 2);
                day = num(s, 8, 2);
                i = 10;
            } else {
                year = num(s, 0, 4);
                month = num(s, 4, 2);
                day = num(s, 6, 2);
                i = 8;
            }
            if (s.charAt(i) != 'T' && s.charAt(i) != 't' && s.charAt(i) != ' ') throw new IllegalArgumentException();
            i++;
            int hour = num(s, i, 2);
            if (s.charAt(i + 2) != ':') throw new IllegalArgumentException();
            int minute = num(s, i + 3, 2);
            if (s.charAt(i + 5) != ':') throw new IllegalArgumentException();
            int second = num(s, i + 6, 2);
            i += 8;
            if (i < s.length() && s.charAt(i) == '.') {
                i++;
                int start = i;
                while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
                if (i == start) throw new IllegalArgumentException();
            }
            ZoneOffset off;
            if (i == s.length()) {
                off = null;
            } else if ((s.charAt(i) == 'Z' || s.charAt(i) == 'z') && i + 1 == s.length()) {
                off = ZoneOffset.UTC;
            } else if (s.charAt(i) == '+' || s.charAt(i) == '-') {
                int sign = s.charAt(i) == '+' ? 1 : -1;
                int oh = num(s, i + 1, 2);
                int om;
                if (s.length() == i + 6 && s.charAt(i + 3) == ':') om = num(s, i + 4, 2);
                else if (s.length() == i + 5) om = num(s, i + 3, 2);
                else if (s.length() == i + 3) om = 0;
                else throw new IllegalArgumentException();
                off = ZoneOffset.ofHoursMinutes(sign * oh, sign * om);
            } else {
                throw new IllegalArgumentException();
            }
            return new DateTime(LocalDateTime.of(year, month, day, hour, minute, second), off);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a datetime: '" + text + "'");
        }
    }

    private static int num(String s, int at, int len) {
        int v = 0;
        for (int k = at; k < at + len; k++) {
            char c = s.charAt(k);
            if (c < '0' || c > '9') throw new IllegalArgumentException();
            v = v * 10 + (c - '0');
        }
        return v;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(25);
        pad(b, local.getYear(), 4);
        pad(b, local.getMonthValue(), 2);
        pad(b, local.getDayOfMonth(), 2);
        b.append('T');
        pad(b, local.getHour(), 2);
        b.append(':');
        pad(b, local.getMinute(), 2);
        b.append(':');
        pad(b, local.getSecond(), 2);
        if (offset != null) {
            int secs = offset.getTotalSeconds();
            if (secs == 0) {
                b.append('Z');
            } else {
                b.append(secs < 0 ? '-' : '+');
                int a = Math.abs(secs) / 60;
                pad(b, a / 60, 2);
                b.append(':');
                pad(b, a % 60, 2);
            }
        }
        return b.toString();
    }

    private static void pad(StringBuilder b, int v, int width) {
        String s = Integer.toString(v);
        for (int k = s.length(); k < width; k++) b.append('0');
        b.append(s);
    }

    @Override
    public int compareTo(DateTime o) {
        return toInstant().compareTo(o.toInstant());
    }
}
