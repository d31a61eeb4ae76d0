package org.xapijava.codegen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Generates the typed XenAPI from the datamodel resource, as Xapi's {@code gen_client.ml} and {@code gen_server.ml}
 * do, at build time (never committed):
 *
 * <ul>
 *   <li>{@code client DATAMODEL OUTDIR}: in {@code org.xapijava.model.client}, one class per datamodel class with a
 *       method per message, explicit and implicit ({@code getNameLabel}, {@code start}, ...; an {@code ...Async}
 *       twin for async messages), and {@code XenApi}, which holds one of each ({@code api.vm().start(...)});</li>
 *   <li>{@code server DATAMODEL OUTDIR}: in {@code org.xapijava.server.api.gen}, one interface per class with
 *       explicit messages ({@code VMApi}), a {@code default} method per explicit message that answers
 *       {@code NOT_IMPLEMENTED}, and a static {@code bind} that registers the methods an object overrides.</li>
 * </ul>
 *
 * Java types: int/float/bool as {@code long}/{@code double}/{@code boolean}, datetime as {@code DateTime},
 * strings and refs as {@code String}, an enum parameter or result as its generated Java enum (enums inside sets
 * and maps stay wire strings, as the database keeps them), sets as {@code List}, maps as {@code Map}, records as
 * {@code Map<String, Object>}; an option is its inner type, nullable.
 */
public final class ApiGenerator {
    static final String CLIENT_PKG = "org.xapijava.model.client";
    static final String SERVER_PKG = "org.xapijava.server.api.gen";
    private static final String ENUMS = "org.xapijava.model.api.enums.";
    private static final Set<String> KEYWORDS = Set.of(
            "abstract",
            "assert",
            "boolean",
            "break",
            "byte",
            "case",
            "catch",
            "char",
            "class",
            "const",
            "continue",
            "default",
            "do",
            "double",
            "else",
            "enum",
            "extends",
            "final",
            "finally",
            "float",
            "for",
            "goto",
            "if",
            "implements",
            "import",
            "instanceof",
            "int",
            "interface",
            "long",
            "native",
            "new",
            "package",
            "private",
            "protected",
            "public",
            "return",
            "short",
            "static",
            "strictfp",
            "super",
            "switch",
            "synchronized",
            "this",
            "throw",
            "throws",
            "transient",
            "try",
            "void",
            "volatile",
            "while",
            "record",
            "var",
            "yield",
            "ctx",
            "a",
            "api",
            "impl",
            "table");

    private ApiGenerator() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 3 || !List.of("client", "server").contains(args[0])) {
            System.err.println("usage: ApiGenerator client|server <datamodel.json> <output dir>");
            System.exit(2);
        }
        JsonNode dm = new ObjectMapper().readTree(Path.of(args[1]).toFile());
        Path out = Path.of(args[2]);
        if (args[0].equals("client")) writeClient(dm, out);
        else writeServer(dm, out);
    }

    // ------------------------------------------------------------------ names and types

    /** {@code VM_metrics} → {@code vmMetrics}, {@code host_cpu} → {@code hostCpu}, {@code PIF} → {@code pif}. */
    static String accessorName(String cls) {
        StringBuilder b = new StringBuilder();
        for (String part : cls.split("_")) {
            if (part.isEmpty()) continue;
            String p = part.equals(part.toUpperCase(Locale.ROOT)) ? part.toLowerCase(Locale.ROOT) : part;
            if (b.isEmpty()) b.append(Character.toLowerCase(p.charAt(0))).append(p, 1, p.length());
            else b.append(Character.toUpperCase(p.charAt(0))).append(p, 1, p.length());
        }
        return b.toString();
    }

    /** {@code get_name_label} → {@code getNameLabel}, {@code set_VCPUs_max} → {@code setVCPUsMax}. */
    static String methodName(String message) {
        StringBuilder b = new StringBuilder();
        for (String part : message.split("_")) {
            if (part.isEmpty()) continue;
            if (b.isEmpty()) b.append(part);
            else b.append(Character.toUpperCase(part.charAt(0))).append(part, 1, part.length());
        }
        String s = b.toString();
        return KEYWORDS.contains(s) ? s + "_" : s;
    }

    static String paramName(String p) {
        return methodName(p);
    }

    /** The Java type of a value of datamodel type {@code t}; {@code top}: a parameter or result itself. */
    static String javaType(String t, boolean top) {
        t = t.trim();
        if (t.endsWith(" option")) return boxed(javaType(t.substring(0, t.length() - 7), top));
        if (t.endsWith(" set")) return "java.util.List<" + boxed(javaType(t.substring(0, t.length() - 4), false)) + ">";
        if (t.endsWith(" map")) {
            String inner = t.substring(1, t.lastIndexOf(')'));
            int arrow = JavaGenerator.topArrow(inner);
            return "java.util.Map<" + boxed(javaType(inner.substring(0, arrow), false)) + ", "
                    + boxed(javaType(inner.substring(arrow + 2), false)) + ">";
        }
        if (t.endsWith(" record")) return "java.util.Map<String, Object>";
        if (t.startsWith("(") && t.endsWith(")")) return javaType(t.substring(1, t.length() - 1), top);
        if (t.startsWith("enum ")) return top ? ENUMS + JavaGenerator.javaName(t.substring(5)) : "String";
        return switch (t) {
            case "int" -> top ? "long" : "Long";
            case "float" -> top ? "double" : "Double";
            case "bool" -> top ? "boolean" : "Boolean";
            case "datetime" -> "org.xapijava.model.types.DateTime";
            case "void" -> "void";
            default -> "String";
        };
    }

    private static String boxed(String j) {
        return switch (j) {
            case "long" -> "Long";
            case "double" -> "Double";
            case "boolean" -> "Boolean";
            default -> j;
        };
    }

    /** Whether {@code t} is an enum type itself, or its option (not a set or map of enums). */
    private static boolean isEnum(String t) {
        String s = t.trim();
        if (s.endsWith(" option")) s = s.substring(0, s.length() - 7).trim();
        return s.matches("enum \\S+");
    }

    private static String esc(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** The parameters after the session (all of them for a sessionless message). */
    private static List<JsonNode> callParams(JsonNode m) {
        List<JsonNode> out = new ArrayList<>();
        boolean skip = !m.path("sessionless").asBoolean();
        for (JsonNode p : m.path("params")) {
            if (skip) {
                skip = false;
                continue;
            }
            out.add(p);
        }
        return out;
    }

    private static boolean visible(JsonNode m) {
        return !m.path("lifecycle").asText().equals("removed");
    }

    /**
     * The messages of class {@code c} that clients can call, with Xapi's hidden {@code get_all_records_where}
     * added to every class that has {@code get_all_records} (the dispatcher's message table does the same).
     */
    static List<JsonNode> messagesOf(JsonNode c) {
        List<JsonNode> out = new ArrayList<>();
        JsonNode gar = null;
        boolean hasWhere = false;
        for (JsonNode m : c.path("messages")) {
            if (!visible(m)) continue;
            out.add(m);
            if (m.path("name").asText().equals("get_all_records")) gar = m;
            if (m.path("name").asText().equals("get_all_records_where")) hasWhere = true;
        }
        if (gar != null && !hasWhere) {
            com.fasterxml.jackson.databind.node.ObjectNode w = gar.deepCopy();
            w.put("name", "get_all_records_where");
            w.put("kind", "GET_ALL_RECORDS_WHERE");
            com.fasterxml.jackson.databind.node.ObjectNode expr = w.objectNode();
            expr.put("name", "expr");
            expr.put("type", "string");
            ((com.fasterxml.jackson.databind.node.ArrayNode) w.get("params")).add(expr);
            out.add(w);
        }
        return out;
    }

    // ------------------------------------------------------------------ client

    private static void writeClient(JsonNode dm, Path out) throws IOException {
        Path dir = out.resolve(CLIENT_PKG.replace('.', '/'));
        Files.createDirectories(dir);
        StringBuilder root = new StringBuilder();
        root.append("package ").append(CLIENT_PKG).append(";\n\n");
        root.append(
                "/**\n * The whole XenAPI as typed Java calls (generated from the datamodel): one accessor per class,\n"
                        + " * e.g. {@code api.vm().start(vm, false, false)}. Bound to a {@link Transport} and a session;\n"
                        + " * thread-safe when the transport is.\n */\n");
        root.append("public final class XenApi {\n");
        root.append("    private final Transport rpc;\n    private final String sessionRef;\n");
        StringBuilder fields = new StringBuilder();
        StringBuilder init = new StringBuilder();
        StringBuilder accessors = new StringBuilder();
        for (JsonNode c : dm.path("classes")) {
            String cls = c.path("name").asText();
            String jn = JavaGenerator.javaName(cls) + "Client";
            String acc = accessorName(cls);
            if (KEYWORDS.contains(acc)) acc = acc + "_";
            fields.append("    private final ")
                    .append(jn)
                    .append(' ')
                    .append(acc)
                    .append(";\n");
            init.append("        this.")
                    .append(acc)
                    .append(" = new ")
                    .append(jn)
                    .append("(this);\n");
            accessors.append("\n    /** Class {@code ").append(cls).append("}. */\n");
            accessors
                    .append("    public ")
                    .append(jn)
                    .append(' ')
                    .append(acc)
                    .append("() {\n        return ")
                    .append(acc)
                    .append(";\n    }\n");
            writeClientClass(dir, c, jn);
        }
        root.append(fields);
        root.append(
                "\n    /** A client calling through {@code transport} with {@code session} (null before login). */\n");
        root.append("    public XenApi(Transport transport, String session) {\n");
        root.append("        this.rpc = transport;\n        this.sessionRef = session;\n")
                .append(init)
                .append("    }\n");
        root.append("\n    /** The same transport with another session. */\n");
        root.append(
                "    public XenApi withSession(String session) {\n        return new XenApi(rpc, session);\n    }\n");
        root.append("\n    /** The session ref the calls carry. */\n");
        root.append("    public String sessionRef() {\n        return sessionRef;\n    }\n");
        root.append("\n    public Transport transport() {\n        return rpc;\n    }\n");
        root.append(accessors);
        root.append("}\n");
        Files.writeString(dir.resolve("XenApi.java"), root.toString());
    }

    private static void writeClientClass(Path dir, JsonNode c, String jn) throws IOException {
        String cls = c.path("name").asText();
        Map<String, String> types = new LinkedHashMap<>();
        StringBuilder methods = new StringBuilder();
        Set<String> seen = new HashSet<>();
        for (JsonNode m : messagesOf(c)) {
            String name = m.path("name").asText();
            String wire = cls + "." + name;
            String mn = methodName(name);
            if (!seen.add(mn)) throw new IllegalStateException("method clash " + wire);
            List<JsonNode> params = callParams(m);
            String result = m.path("result").asText();
            String rt = javaType(result, true);
            StringBuilder sig = new StringBuilder();
            StringBuilder marshal = new StringBuilder();
            for (JsonNode p : params) {
                String pt = p.path("type").asText();
                String pn = paramName(p.path("name").asText());
                if (sig.length() > 0) sig.append(", ");
                sig.append(javaType(pt, true)).append(' ').append(pn);
                String tc = typeConst(types, pt);
                String value = isEnum(pt) ? "(" + pn + " == null ? null : " + pn + ".wire())" : pn;
                marshal.append(", Marshal.toRpc(")
                        .append(tc)
                        .append(", ")
                        .append(value)
                        .append(")");
            }
            boolean sessionless = m.path("sessionless").asBoolean();
            String call = "api.transport().call(\"" + esc(wire) + "\", args(" + (sessionless ? "false" : "true")
                    + marshal + "))";
            methods.append("\n    /** {@code ")
                    .append(esc(wire))
                    .append("}: ")
                    .append(doc(result))
                    .append(". */\n");
            methods.append("    public ")
                    .append(rt)
                    .append(' ')
                    .append(mn)
                    .append('(')
                    .append(sig)
                    .append(") {\n");
            if (rt.equals("void")) {
                methods.append("        ").append(call).append(";\n");
            } else {
                String tc = typeConst(types, result);
                String un = "Unmarshal.fromRpc(" + tc + ", " + call + ")";
                if (isEnum(result)) {
                    methods.append("        return ")
                            .append(rt)
                            .append(".of((String) ")
                            .append(un)
                            .append(");\n");
                } else {
                    methods.append("        return (")
                            .append(boxed(rt))
                            .append(") ")
                            .append(un)
                            .append(";\n");
                }
            }
            methods.append("    }\n");
            if (m.path("async").asBoolean()) {
                methods.append("\n    /** {@code Async.").append(esc(wire)).append("}: the task's ref. */\n");
                methods.append("    public String ")
                        .append(mn)
                        .append("Async(")
                        .append(sig)
                        .append(") {\n");
                methods.append("        return (String) api.transport().call(\"Async.")
                        .append(esc(wire))
                        .append("\", args(")
                        .append(sessionless ? "false" : "true")
                        .append(marshal)
                        .append("));\n    }\n");
            }
        }
        StringBuilder b = new StringBuilder();
        b.append("package ").append(CLIENT_PKG).append(";\n\n");
        b.append("import org.xapijava.model.rpc.Marshal;\nimport org.xapijava.model.rpc.Unmarshal;\n");
        b.append("import org.xapijava.model.types.XType;\n\n");
        b.append("/** The messages of class {@code ").append(cls).append("} as typed calls (generated). */\n");
        b.append("@SuppressWarnings({\"unchecked\", \"rawtypes\"})\n");
        b.append("public final class ").append(jn).append(" {\n");
        for (Map.Entry<String, String> t : types.entrySet()) {
            b.append("    private static final XType ")
                    .append(t.getValue())
                    .append(" = XType.parse(\"")
                    .append(esc(t.getKey()))
                    .append("\");\n");
        }
        b.append("\n    private final XenApi api;\n\n");
        b.append("    ").append(jn).append("(XenApi api) {\n        this.api = api;\n    }\n\n");
        b.append("    private java.util.List<Object> args(boolean withSession, Object... rest) {\n");
        b.append("        java.util.List<Object> a = new java.util.ArrayList<>(rest.length + 1);\n");
        b.append("        if (withSession) a.add(api.sessionRef());\n");
        b.append("        java.util.Collections.addAll(a, rest);\n        return a;\n    }\n");
        b.append(methods);
        b.append("}\n");
        Files.writeString(dir.resolve(jn + ".java"), b.toString());
    }

    private static String typeConst(Map<String, String> types, String t) {
        return types.computeIfAbsent(t.trim(), k -> "T" + types.size());
    }

    private static String doc(String s) {
        return "{@code "
                + s.replace("*/", "*&#47;")
                        .replace("@", "&#64;")
                        .replace("{", "&#123;")
                        .replace("}", "&#125;") + "}";
    }

    // ------------------------------------------------------------------ server

    private static void writeServer(JsonNode dm, Path out) throws IOException {
        Path dir = out.resolve(SERVER_PKG.replace('.', '/'));
        Files.createDirectories(dir);
        for (JsonNode c : dm.path("classes")) {
            List<JsonNode> messages = messagesOf(c);
            if (!messages.isEmpty()) writeServerInterface(dir, c.path("name").asText(), messages);
        }
    }

    private static void writeServerInterface(Path dir, String cls, List<JsonNode> messages) throws IOException {
        String jn = JavaGenerator.javaName(cls) + "Api";
        StringBuilder methods = new StringBuilder();
        StringBuilder binds = new StringBuilder();
        Set<String> seen = new HashSet<>();
        for (JsonNode m : messages) {
            String name = m.path("name").asText();
            String wire = cls + "." + name;
            String mn = methodName(name);
            if (!seen.add(mn)) throw new IllegalStateException("method clash " + wire);
            String result = m.path("result").asText();
            String rt = javaType(result, true);
            StringBuilder sig = new StringBuilder("CallContext ctx");
            StringBuilder classes = new StringBuilder("CallContext.class");
            StringBuilder callArgs = new StringBuilder("ctx");
            int i = 0;
            for (JsonNode p : callParams(m)) {
                String pt = p.path("type").asText();
                String jt = javaType(pt, true);
                sig.append(", ")
                        .append(jt)
                        .append(' ')
                        .append(paramName(p.path("name").asText()));
                classes.append(", ").append(erasure(jt)).append(".class");
                String a = "a.get(" + i++ + ")";
                String arg = switch (jt) {
                    case "long" -> "(Long) " + a;
                    case "double" -> "(Double) " + a;
                    case "boolean" -> "(Boolean) " + a;
                    default -> isEnum(pt) ? jt + ".of((String) " + a + ")" : "(" + jt + ") " + a;
                };
                callArgs.append(", ").append(arg);
            }
            methods.append("\n    /** {@code ")
                    .append(esc(wire))
                    .append("}: ")
                    .append(doc(result))
                    .append(". */\n");
            methods.append("    default ")
                    .append(rt)
                    .append(' ')
                    .append(mn)
                    .append('(')
                    .append(sig)
                    .append(") throws Exception {\n");
            methods.append("        throw new ApiError(\"NOT_IMPLEMENTED\", \"")
                    .append(esc(wire))
                    .append("\");\n    }\n");
            String invoke = "impl." + mn + "(" + callArgs + ")";
            String body;
            if (rt.equals("void"))
                body = "{\n                " + invoke + ";\n                return null;\n            }";
            else if (isEnum(result))
                body = "{\n                " + rt + " r = " + invoke
                        + ";\n                return r == null ? null : r.wire();\n            }";
            else body = invoke;
            binds.append("        if (overrides(impl, \"")
                    .append(mn)
                    .append("\", ")
                    .append(classes)
                    .append(")) {\n");
            binds.append("            table.bind(\"")
                    .append(esc(wire))
                    .append("\", (ctx, a) -> ")
                    .append(body)
                    .append(");\n");
            binds.append("        }\n");
        }
        StringBuilder b = new StringBuilder();
        b.append("package ").append(SERVER_PKG).append(";\n\n");
        b.append("import org.xapijava.model.errors.ApiError;\n");
        b.append("import org.xapijava.server.dispatch.CallContext;\n");
        b.append("import org.xapijava.server.dispatch.MessageTable;\n\n");
        b.append("/**\n * The explicit messages of class {@code ")
                .append(cls)
                .append("} (generated from the datamodel): implement\n"
                        + " * the ones a class provides, and {@link #bind} registers exactly those; the others answer\n"
                        + " * {@code NOT_IMPLEMENTED}.\n */\n");
        b.append("@SuppressWarnings({\"unchecked\", \"rawtypes\"})\n");
        b.append("public interface ").append(jn).append(" {\n");
        b.append(methods);
        b.append(
                "\n    /** Registers in {@code table} every method of this interface that {@code impl}'s class overrides. */\n");
        b.append("    static void bind(MessageTable table, ")
                .append(jn)
                .append(" impl) {\n")
                .append(binds)
                .append("    }\n");
        b.append("\n    private static boolean overrides(Object impl, String name, Class<?>... params) {\n");
        b.append("        try {\n");
        b.append("            return impl.getClass().getMethod(name, params).getDeclaringClass() != ")
                .append(jn)
                .append(".class;\n");
        b.append(
                "        } catch (NoSuchMethodException e) {\n            throw new IllegalStateException(e);\n        }\n    }\n");
        b.append("}\n");
        Files.writeString(dir.resolve(jn + ".java"), b.toString());
    }

    /** The class literal of a Java type as written here (generic arguments dropped). */
    private static String erasure(String jt) {
        int lt = jt.indexOf('<');
        return lt < 0 ? jt : jt.substring(0, lt);
    }
}
