package org.xapijava.cli.server;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Xapi's {@code cli_printer.ml}: messages, lists and tables of records sent as the client's stdout (and stderr),
 * or, with {@code --minimal}, collected and sent as one comma-separated line when the command ends.
 */
public final class Printer {
    /** One record of a table: (key, value) in order. */
    public record Row(List<Map.Entry<String, String>> fields) {
        public Row {
            fields = List.copyOf(fields);
        }
    }

    private final CliConnection conn;
    private final boolean minimal;
    /** Minimal mode's chunks, newest first (as Xapi prepends them). */
    private final List<String> chunks = new ArrayList<>();

    public Printer(CliConnection conn, boolean minimal) {
        this.conn = conn;
        this.minimal = minimal;
    }

    public boolean minimal() {
        return minimal;
    }

    /** {@code PMsg}. */
    public void msg(String s) {
        if (!minimal) conn.print(s);
    }

    /** {@code PList}. */
    public void list(List<String> items) {
        if (minimal) {
            chunks.add(0, String.join(",", items.stream().map(Printer::escape).toList()));
        } else {
            for (String s : items) conn.print(s);
        }
    }

    /** {@code PTable}. */
    public void table(List<Row> rows) {
        if (minimal) {
            if (!rows.isEmpty() && rows.stream().noneMatch(r -> r.fields().isEmpty())) {
                chunks.add(
                        0,
                        String.join(
                                ",",
                                rows.stream()
                                        .map(r -> escape(r.fields().get(0).getValue()))
                                        .toList()));
            }
        } else {
            for (Row r : rows) conn.print(format(r) + "\n");
        }
    }

    /** {@code PStderr}. */
    public void stderr(String s) {
        if (!minimal) conn.printStderr(s + "\n");
    }

    /** Sends what minimal mode collected (always one line, maybe empty); nothing otherwise. */
    public void flush() {
        if (minimal) conn.print(String.join(",", chunks));
    }

    /** A record as Xapi's {@code multi_line_record}: keys padded to 4 + the longest, the first on the right. */
    public static String format(Row r) {
        int width = 0;
        for (Map.Entry<String, String> f : r.fields()) width = Math.max(width, bytes(f.getKey()));
        width += 4;
        StringBuilder b = new StringBuilder();
        boolean first = true;
        for (Map.Entry<String, String> f : r.fields()) {
            if (!first) b.append('\n');
            String pad = " ".repeat(Math.max(0, width - bytes(f.getKey())));
            b.append(first ? f.getKey() + pad : pad + f.getKey()).append(": ").append(f.getValue());
            first = false;
        }
        return b.append('\n').toString();
    }

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** Minimal mode's escaping: {@code \} and {@code ,} get a backslash. */
    public static String escape(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('\\') < 0) return s;
        StringBuilder b = new StringBuilder(s.length() + 4);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ',' || c == '\\') b.append('\\');
            b.append(c);
        }
        return b.toString();
    }
}
