package org.xapijava.cli.records;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes as {@code record_util.ml bytes_of_string} reads them: an integer and an optional binary unit. */
public final class Sizes {
    private static final Pattern SIZE = Pattern.compile("\\s*([-+]?\\d+)\\s*(\\S*)");

    private Sizes() {}

    /**
     * @throws CliFailure Xapi's message naming {@code field}
     */
    public static long parse(String field, String text) {
        Matcher m = SIZE.matcher(text);
        if (!m.matches()) throw bad(field, text);
        long size;
        try {
            size = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw bad(field, text);
        }
        if (size < 0) throw bad(field, text);
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "", "b", "bytes" -> 0;
            case "k", "kb", "kib" -> 10;
            case "m", "mb", "mib" -> 20;
            case "g", "gb", "gib" -> 30;
            case "t", "tb", "tib" -> 40;
            default -> throw bad(field, text);
        };
        return size << shift;
    }

    private static CliFailure bad(String field, String text) {
        return new CliFailure("Failed to parse field '" + field
                + "': expecting an integer (possibly with suffix KiB, MiB, GiB, TiB), got '" + text + "'");
    }
}
