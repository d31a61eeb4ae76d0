package org.xapijava.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.FieldDef;

/**
 * A ratchet on string names: server main code must reach classes and fields through the generated handles
 * ({@code VM.XAPI_CLASS}, {@code VM.NAME_LABEL}), not string literals such as {@code "VM"} or {@code "name_label"}.
 * The code from before the handles still holds such literals; {@code string-names-baseline.txt} records how many
 * each file has, and this test fails when a file has more than its baseline (new code adding one). When a file
 * gets fewer, lower the baseline: run with {@code -Dxapi.names.update=true} to rewrite it.
 */
class StringNamesGuardTest {
    private static final Path SOURCES = Path.of("src/main/java");
    private static final Path BASELINE = Path.of("src/test/resources/string-names-baseline.txt");

    @Test
    void serverCodeAddsNoStringClassOrFieldName() throws IOException {
        Set<String> names = new HashSet<>();
        for (ClassDef c : Datamodel.get().classes()) {
            names.add(c.name());
            for (FieldDef f : c.fields()) names.add(f.name());
        }
        Map<String, Integer> counts = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path p :
                    files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                int n = count(Files.readString(p, StandardCharsets.UTF_8), names);
                if (n > 0) counts.put(SOURCES.relativize(p).toString().replace('\\', '/'), n);
            }
        }
        if (Boolean.getBoolean("xapi.names.update")) {
            StringBuilder b = new StringBuilder("# string literals naming a datamodel class or field, per file\n");
            counts.forEach((f, n) -> b.append(n).append(' ').append(f).append('\n'));
            Files.writeString(BASELINE, b, StandardCharsets.UTF_8);
        }
        Map<String, Integer> baseline = new TreeMap<>();
        for (String line : Files.readAllLines(BASELINE, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int sp = line.indexOf(' ');
            baseline.put(line.substring(sp + 1), Integer.parseInt(line.substring(0, sp)));
        }
        StringBuilder worse = new StringBuilder();
        counts.forEach((f, n) -> {
            int allowed = baseline.getOrDefault(f, 0);
            if (n > allowed)
                worse.append("\n  ")
                        .append(f)
                        .append(": ")
                        .append(n)
                        .append(" > ")
                        .append(allowed);
        });
        assertTrue(
                worse.isEmpty(),
                "string class or field names added where generated handles exist"
                        + " (use e.g. VM.XAPI_CLASS, VM.NAME_LABEL):" + worse);
    }

    /** String literals in {@code java} (comments skipped) that equal one of {@code names}. */
    static int count(String java, Set<String> names) {
        int n = 0;
        int i = 0;
        int len = java.length();
        while (i < len) {
            char c = java.charAt(i);
            if (c == '/' && i + 1 < len && java.charAt(i + 1) == '/') {
                while (i < len && java.charAt(i) != '\n') i++;
            } else if (c == '/' && i + 1 < len && java.charAt(i + 1) == '*') {
                int end = java.indexOf("*/", i + 2);
                i = end < 0 ? len : end + 2;
            } else if (c == '\'') {
                i++;
                while (i < len && java.charAt(i) != '\'') i += java.charAt(i) == '\\' ? 2 : 1;
                i++;
            } else if (java.startsWith("\"\"\"", i)) {
                int end = java.indexOf("\"\"\"", i + 3);
                i = end < 0 ? len : end + 3;
            } else if (c == '"') {
                StringBuilder s = new StringBuilder();
                i++;
                while (i < len && java.charAt(i) != '"') {
                    if (java.charAt(i) == '\\') s.append(java.charAt(i++));
                    s.append(java.charAt(i++));
                }
                i++;
                if (names.contains(s.toString())) n++;
            } else {
                i++;
            }
        }
        return n;
    }
}
