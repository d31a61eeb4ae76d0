package org.xapijava.codegen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Generates typed Java accessors from the datamodel resource at build time (never committed):
 * one class per datamodel class with a typed {@code Field} constant per field, one Java enum per
 * datamodel enum, and {@code ErrorCodes} with a constant per error code.
 *
 * <p>Usage: {@code JavaGenerator <datamodel.json> <errors.json> <output source dir>}.
 */
public final class JavaGenerator {
    private static final String PKG = "org.xapijava.model.api";

    private JavaGenerator() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: JavaGenerator <datamodel.json> <errors.json> <output dir>");
            System.exit(2);
        }
        ObjectMapper om = new ObjectMapper();
        JsonNode dm = om.readTree(Path.of(args[0]).toFile());
        JsonNode errors = om.readTree(Path.of(args[1]).toFile());
        Path dir = Path.of(args[2], PKG.replace('.', '/'));
        Files.createDirectories(dir.resolve("enums"));
        for (JsonNode c : dm.path("classes")) writeClass(dir, c);
        for (JsonNode e : dm.path("enums")) writeEnum(dir.resolve("enums"), e);
        writeErrors(dir, errors);
    }

    /** {@code pool_update} → {@code PoolUpdate}, {@code VM_metrics} → {@code VMMetrics}, {@code host} → {@code Host}. */
    static String javaName(String name) {
        StringBuilder b = new StringBuilder();
        for (String part : name.split("_")) {
            if (part.isEmpty()) continue;
            b.append(Character.toUpperCase(part.charAt(0))).append(part, 1, part.length());
        }
        return b.toString();
    }

    static String constName(String s) {
        String c = s.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
        if (c.isEmpty() || Character.isDigit(c.charAt(0))) c = "_" + c;
        return c;
    }

    private static String javaType(String xtype) {
        String t = xtype.trim();
        if (t.endsWith(" set")) return "java.util.List<" + javaType(t.substring(0, t.length() - 4)) + ">";
        if (t.endsWith(" option")) return javaType(t.substring(0, t.length() - 7));
        if (t.endsWith(" map")) {
            String inner = t.substring(1, t.lastIndexOf(')'));
            int arrow = topArrow(inner);
            return "java.util.Map<" + javaType(inner.substring(0, arrow).trim()) + ", "
                    + javaType(inner.substring(arrow + 2).trim()) + ">";
        }
        if (t.endsWith(" record")) return "java.util.Map<String, Object>";
        if (t.startsWith("(") && t.endsWith(")")) return javaType(t.substring(1, t.length() - 1));
        return switch (t) {
            case "int" -> "Long";
            case "float" -> "Double";
            case "bool" -> "Boolean";
            case "datetime" -> "org.xapijava.model.types.DateTime";
            default -> "String"; // string, enum x, X ref
        };
    }

    /** The index of the {@code ->} of a map type {@code (K -> V)} at nesting depth 0. */
    static int topArrow(String s) {
        int depth = 0;
        for (int i = 0; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (depth == 0 && c == '-' && s.charAt(i + 1) == '>') return i;
        }
        throw new IllegalArgumentException("no arrow in " + s);
    }

    private static String esc(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static String doc(String s) {
        return s.replace("*/", "*&#47;")
                .replace("\n", " ")
                .replace("@", "&#64;")
                .replace("<", "&lt;")
                .replace(">", "&gt;");
    }

    private static void writeClass(Path dir, JsonNode c) throws IOException {
        String cls = c.path("name").asText();
        String jn = javaName(cls);
        StringBuilder b = new StringBuilder();
        b.append("package ").append(PKG).append(";\n\n");
        b.append("import org.xapijava.model.Field;\n\n");
        b.append("/** Typed field handles of class {@code ")
                .append(cls)
                .append("} (generated from the datamodel). */\n");
        b.append("public final class ").append(jn).append(" {\n");
        b.append("    /** The class name as on the wire. */\n");
        b.append("    public static final String XAPI_CLASS = \"")
                .append(esc(cls))
                .append("\";\n\n");
        b.append("    private ").append(jn).append("() {}\n");
        Set<String> seen = new HashSet<>(Set.of("XAPI_CLASS"));
        for (JsonNode f : c.path("fields")) {
            if (f.path("lifecycle").asText().equals("removed")) continue;
            String name = f.path("name").asText();
            String cn = constName(name);
            if (!seen.add(cn)) throw new IllegalStateException("field constant clash " + cls + "." + cn);
            String jt = javaType(f.path("type").asText());
            b.append("\n    /** {@code ")
                    .append(f.path("type").asText())
                    .append("}, ")
                    .append(f.path("qualifier").asText())
                    .append(f.path("internal").asBoolean() ? ", internal (never sent to clients)" : "")
                    .append(". */\n");
            b.append("    public static final Field<")
                    .append(jt)
                    .append("> ")
                    .append(cn)
                    .append(" = new Field<>(XAPI_CLASS, \"")
                    .append(esc(name))
                    .append("\");\n");
        }
        b.append("}\n");
        Files.writeString(dir.resolve(jn + ".java"), b.toString());
    }

    private static void writeEnum(Path dir, JsonNode e) throws IOException {
        String name = e.path("name").asText();
        String jn = javaName(name);
        StringBuilder b = new StringBuilder();
        b.append("package ").append(PKG).append(".enums;\n\n");
        b.append("/** The datamodel enum {@code ").append(name).append("} (generated). */\n");
        b.append("public enum ").append(jn).append(" {\n");
        Set<String> seen = new HashSet<>();
        int n = 0;
        for (JsonNode v : e.path("values")) {
            String wire = v.path("name").asText();
            String cn = constName(wire);
            while (!seen.add(cn)) cn = cn + "_";
            if (n++ > 0) b.append(",\n");
            b.append("    ").append(cn).append("(\"").append(esc(wire)).append("\")");
        }
        b.append(";\n\n");
        b.append("    private final String wire;\n\n");
        b.append("    ").append(jn).append("(String wire) { this.wire = wire; }\n\n");
        b.append("    /** The exact datamodel spelling. */\n");
        b.append("    public String wire() { return wire; }\n\n");
        b.append("    /** The value spelled {@code s} in any letter case, or null. */\n");
        b.append("    public static ").append(jn).append(" of(String s) {\n");
        b.append("        for (").append(jn).append(" v : values()) if (v.wire.equalsIgnoreCase(s)) return v;\n");
        b.append("        return null;\n    }\n");
        b.append("}\n");
        Files.writeString(dir.resolve(jn + ".java"), b.toString());
    }

    private static void writeErrors(Path dir, JsonNode errors) throws IOException {
        StringBuilder b = new StringBuilder();
        b.append("package ").append(PKG).append(";\n\n");
        b.append("/** Every XenAPI error code (generated from the project's errors resource). */\n");
        b.append("public final class ErrorCodes {\n    private ErrorCodes() {}\n");
        Set<String> seen = new HashSet<>();
        for (JsonNode e : errors) {
            String name = e.path("name").asText();
            if (!seen.add(name)) continue;
            b.append("\n    /** Parameters: ")
                    .append(doc(e.path("params").toString()))
                    .append(". */\n");
            b.append("    public static final String ")
                    .append(constName(name))
                    .append(" = \"")
                    .append(esc(name))
                    .append("\";\n");
        }
        b.append("}\n");
        Files.writeString(dir.resolve("ErrorCodes.java"), b.toString());
    }
}
