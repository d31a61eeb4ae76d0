package org.xapijava.codegen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Produces the project's datamodel resource from the published {@code xenapi.json}, the supplement of
 * facts that file omits ({@code xapi-model/src/datamodel/supplement.json}) and {@code errors.json}.
 *
 * <p>Only facts are kept: names, types, qualifiers, defaults, roles, flags and lifecycles. The prose
 * documentation of the published datamodel is not copied into the resource.
 *
 * <p>Usage: {@code DatamodelImporter <xenapi.json> <errors.json> <datamodel source dir> <output dir>}, where the
 * source dir holds {@code supplement.json} and {@code undocumented-errors.json}; writes
 * {@code datamodel.json} and {@code errors.json} into the output directory. Run by
 * {@code scripts/import-datamodel}; the normal build only reads the committed output.
 */
public final class DatamodelImporter {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /**
     * The static roles, most privileged first, with the name_description Xapi serves for each (a wire
     * string clients display, hence kept verbatim).
     */
    private static final String[][] ROLES = {
        {
            "pool-admin",
            "false",
            "The Pool Administrator role has full access to all features and settings, including accessing Dom0 and managing subjects, roles and external authentication"
        },
        {
            "pool-operator",
            "false",
            "The Pool Operator role manages host- and pool-wide resources, including setting up storage, creating resource pools and managing patches, high availability (HA) and workload balancing (WLB)"
        },
        {
            "vm-power-admin",
            "false",
            "The VM Power Administrator role has full access to VM and template management and can choose where to start VMs and use the dynamic memory control and VM snapshot features"
        },
        {"vm-admin", "false", "The VM Administrator role can manage VMs and templates"},
        {"vm-operator", "false", "The VM Operator role can use VMs and interact with VM consoles"},
        {
            "client-cert",
            "true",
            "The Client Certificate role has access to all features and settings authenticated through client certificates"
        },
        {"read-only", "false", "The Read-Only role can log in with basic read-only access"},
    };

    private final JsonNode xenapi;
    private final JsonNode supplement;
    private final Map<String, JsonNode> enumsByName = new LinkedHashMap<>();

    private DatamodelImporter(JsonNode xenapi, JsonNode supplement) {
        this.xenapi = xenapi;
        this.supplement = supplement;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println(
                    "usage: DatamodelImporter <xenapi.json> <errors.json> <datamodel source dir> <output dir>");
            System.exit(2);
        }
        ObjectMapper om = new ObjectMapper();
        JsonNode xenapi = om.readTree(Path.of(args[0]).toFile());
        JsonNode errors = om.readTree(Path.of(args[1]).toFile());
        Path sup = Path.of(args[2], "supplement.json");
        JsonNode supplement = Files.exists(sup) ? om.readTree(sup.toFile()) : F.objectNode();
        JsonNode undocumented =
                om.readTree(Path.of(args[2], "undocumented-errors.json").toFile());
        Path out = Path.of(args[3]);
        Files.createDirectories(out);
        ObjectNode dm = new DatamodelImporter(xenapi, supplement).build();
        ObjectMapper pretty = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Files.writeString(out.resolve("datamodel.json"), pretty.writeValueAsString(dm) + "\n");
        Files.writeString(
                out.resolve("errors.json"), pretty.writeValueAsString(buildErrors(errors, undocumented)) + "\n");
        System.out.println("wrote " + out.resolve("datamodel.json") + " and errors.json");
    }

    /** errors.json plus the codes Xapi defines without documenting them. */
    private static ArrayNode buildErrors(JsonNode errors, JsonNode undocumented) {
        ArrayNode out = F.arrayNode();
        Set<String> seen = new HashSet<>();
        for (JsonNode e : errors) {
            if (seen.add(e.path("name").asText())) out.add(nameAndParams(e));
        }
        for (JsonNode e : undocumented) {
            if (seen.add(e.path("name").asText())) out.add(nameAndParams(e));
        }
        return out;
    }

    /** An error's code, parameter names and documentation (which {@code xe} prints as the error's message). */
    private static ObjectNode nameAndParams(JsonNode e) {
        ObjectNode o = F.objectNode();
        o.put("name", e.path("name").asText());
        o.set("params", e.path("params").deepCopy());
        if (e.hasNonNull("doc")) o.put("doc", e.path("doc").asText());
        return o;
    }

    private ObjectNode build() {
        ObjectNode root = F.objectNode();
        ObjectNode sv = root.putObject("schemaVersion");
        sv.put("major", supplement.path("schemaVersion").path("major").asInt(5));
        sv.put("minor", supplement.path("schemaVersion").path("minor").asInt(0));
        root.set("apiVersion", apiVersion(supplement.path("apiVersion")));
        ArrayNode roles = root.putArray("roles");
        for (String[] r : ROLES) {
            ObjectNode o = roles.addObject();
            o.put("name", r[0]);
            o.put("internal", Boolean.parseBoolean(r[1]));
            o.put("description", r[2]);
        }
        for (JsonNode c : xenapi) {
            for (JsonNode e : c.path("enums"))
                enumsByName.putIfAbsent(e.path("name").asText(), e);
        }
        // enums used only by hidden messages or internal fields (absent from xenapi.json)
        for (String key : List.of("hiddenMessages", "internalFields")) {
            for (JsonNode x : supplement.path(key)) {
                var it = x.path("enumValues").fields();
                while (it.hasNext()) {
                    var e = it.next();
                    if (enumsByName.containsKey(e.getKey())) continue;
                    ObjectNode en = F.objectNode().put("name", e.getKey());
                    ArrayNode vals = en.putArray("values");
                    for (JsonNode v : e.getValue()) vals.addObject().put("name", v.asText());
                    enumsByName.put(e.getKey(), en);
                }
            }
        }
        ArrayNode enums = root.putArray("enums");
        for (JsonNode e : enumsByName.values()) {
            ObjectNode o = enums.addObject();
            o.put("name", e.path("name").asText());
            ArrayNode vs = o.putArray("values");
            for (JsonNode v : e.path("values"))
                vs.addObject().put("name", v.path("name").asText());
        }

        Set<String> nonPersistentClasses =
                strings(supplement.path("persistence").path("nonPersistentClasses"));
        Set<String> noEvents = strings(supplement.path("noEventClasses"));
        Set<String> asyncMessages = strings(supplement.path("asyncMessages"));
        Map<String, List<JsonNode>> internalFields = groupByClass(supplement.path("internalFields"));
        Map<String, List<JsonNode>> hidden = groupByClass(supplement.path("hiddenMessages"));
        Map<String, List<JsonNode>> mapKeys = new HashMap<>();
        for (JsonNode mk : supplement.path("mapKeyRoles"))
            mapKeys.computeIfAbsent(mk.path("message").asText(), k -> new ArrayList<>())
                    .add(mk);

        ArrayNode classes = root.putArray("classes");
        ObjectNode later = root.putObject("laterColumns");
        for (JsonNode c : xenapi) {
            String cls = c.path("name").asText();
            ObjectNode co = classes.addObject();
            co.put("name", cls);
            co.put("persistent", !nonPersistentClasses.contains(cls));
            co.put("events", !noEvents.contains(cls));
            co.put("lifecycle", lifecycle(c.path("lifecycle")));
            Set<String> npFields = strings(
                    supplement.path("persistence").path("nonPersistentFields").path(cls));
            ArrayNode fields = co.putArray("fields");
            Map<String, JsonNode> fieldTypes = new HashMap<>();
            for (JsonNode f : c.path("fields")) {
                String name = f.path("name").asText();
                fieldTypes.put(name, f);
                ObjectNode fo = fields.addObject();
                fo.put("name", name);
                fo.put("column", column(cls, name));
                fo.put("type", f.path("type").asText());
                fo.put("qualifier", f.path("qualifier").asText());
                if (f.has("default"))
                    fo.set(
                            "default",
                            convertDefault(
                                    f.path("type").asText(), f.path("default").asText()));
                fo.put("persist", !npFields.contains(name));
                fo.put("internal", false);
                fo.put("lifecycle", lifecycle(f.path("lifecycle")));
            }
            ArrayNode laterCols = F.arrayNode();
            for (JsonNode f : internalFields.getOrDefault(cls, List.of())) {
                String name = f.path("name").asText();
                String col = f.path("dbColumn").asText(name);
                if (fieldTypes.containsKey(name)) continue;
                if (!f.path("internalOnly").asBoolean()) {
                    // a field of a later release than xenapi.json: recognised in state.db, not served
                    laterCols.add(col);
                    continue;
                }
                ObjectNode fo = fields.addObject();
                fo.put("name", name);
                fo.put("column", col);
                fo.put("type", f.path("type").asText());
                fo.put("qualifier", f.path("qualifier").asText("RO/runtime"));
                if (f.has("default") && !f.get("default").isNull()) {
                    fo.set(
                            "default",
                            convertDefault(
                                    f.path("type").asText(), f.get("default").asText()));
                }
                fo.put("persist", f.path("persist").asBoolean(true) && !npFields.contains(name));
                fo.put("internal", true);
                fo.put("lifecycle", f.path("lifecycleState").asText("published"));
            }
            if (!laterCols.isEmpty()) later.set(cls, laterCols);

            ArrayNode msgs = co.putArray("messages");
            for (JsonNode m : c.path("messages")) {
                String name = m.path("name").asText();
                String wire = cls + "." + name;
                boolean implicit = m.path("implicit").asBoolean();
                ObjectNode mo = msgs.addObject();
                mo.put("name", name);
                String[] kf = implicit ? implicitKind(name, fieldTypes) : new String[] {"EXPLICIT", null};
                mo.put("kind", kf[0]);
                if (kf[1] != null) mo.put("field", kf[1]);
                ArrayNode ps = mo.putArray("params");
                boolean sessionless = true;
                JsonNode defaults = supplement.path("paramDefaults").path(wire);
                int i = 0;
                for (JsonNode p : m.path("params")) {
                    if (i++ == 0
                            && p.path("type").asText().equals("session ref")
                            && p.path("name").asText().equals("session_id")) sessionless = false;
                    ObjectNode po = ps.addObject();
                    po.put("name", p.path("name").asText());
                    po.put("type", p.path("type").asText());
                    if (defaults.has(p.path("name").asText()))
                        po.set("default", defaults.get(p.path("name").asText()));
                }
                mo.put("result", resultType(m.path("result").get(0).asText()));
                mo.set("errors", errorNames(m.path("errors")));
                mo.set("roles", m.path("roles").deepCopy());
                boolean async =
                        implicit ? (kf[0].equals("CREATE") || kf[0].equals("DESTROY")) : asyncMessages.contains(wire);
                mo.put("async", async);
                mo.put("sessionless", sessionless);
                mo.put("hidden", false);
                mo.put("poolInternal", false);
                mo.put("lifecycle", lifecycle(m.path("lifecycle")));
                mo.set("mapKeyRoles", mapKeyRoles(mapKeys.get(wire)));
            }
            for (JsonNode h : hidden.getOrDefault(cls, List.of())) {
                ObjectNode mo = msgs.addObject();
                String name = h.path("name").asText();
                mo.put("name", name);
                mo.put("kind", "EXPLICIT");
                ArrayNode ps = mo.putArray("params");
                for (JsonNode p : h.path("params")) {
                    ObjectNode po = ps.addObject();
                    po.put("name", p.path("name").asText());
                    po.put("type", p.path("type").asText());
                    if (p.has("default")) po.set("default", p.get("default"));
                }
                mo.put("result", h.path("result").asText("void"));
                mo.putArray("errors");
                mo.set("roles", h.path("roles").deepCopy());
                mo.put("async", h.path("async").asBoolean());
                mo.put("sessionless", h.path("sessionless").asBoolean());
                mo.put("hidden", true);
                mo.put("poolInternal", h.path("poolInternal").asBoolean());
                mo.put("lifecycle", "published");
                mo.set("mapKeyRoles", mapKeyRoles(mapKeys.get(cls + "." + name)));
            }
        }
        ArrayNode rels = root.putArray("relations");
        for (JsonNode r : supplement.path("relations")) {
            ObjectNode ro = rels.addObject();
            ro.put("kind", r.path("kind").asText().equals("one-to-many") ? "ONE_TO_MANY" : "MANY_TO_MANY");
            ro.put("aClass", r.path("a").path("class").asText());
            ro.put("aField", r.path("a").path("field").asText());
            ro.put("bClass", r.path("b").path("class").asText());
            ro.put("bField", r.path("b").path("field").asText());
        }
        ArrayNode laterTables = root.putArray("laterTables");
        for (JsonNode t : supplement.path("newerClasses"))
            laterTables.add(t.isTextual() ? t.asText() : t.path("name").asText());
        root.set("extraPermissions", supplement.path("extraPermissions").deepCopy());
        root.set(
                "httpActions",
                supplement.path("httpActions").isMissingNode()
                        ? F.arrayNode()
                        : supplement.path("httpActions").deepCopy());
        root.set(
                "emergencyCalls",
                supplement.path("emergencyCalls").isMissingNode()
                        ? F.arrayNode()
                        : supplement.path("emergencyCalls").deepCopy());
        root.set(
                "mapKeySetters",
                supplement.path("mapKeySetters").isMissingNode()
                        ? F.arrayNode()
                        : supplement.path("mapKeySetters").deepCopy());
        return root;
    }

    /**
     * The API version hosts report ({@code host.API_version_*}): major, minor, vendor and vendor
     * implementation, taken from the supplement (xenapi.json does not carry them). A supplement without
     * the section is an error, so a stale supplement cannot silently produce version 0.0.
     */
    static ObjectNode apiVersion(JsonNode av) {
        if (!av.path("major").isInt()
                || !av.path("minor").isInt()
                || !av.path("vendor").isTextual()) {
            throw new IllegalStateException(
                    "supplement.json: apiVersion needs integer major/minor and a vendor string");
        }
        ObjectNode o = F.objectNode();
        o.put("major", av.get("major").asInt());
        o.put("minor", av.get("minor").asInt());
        o.put("vendor", av.get("vendor").asText());
        ObjectNode impl = o.putObject("vendorImplementation");
        av.path("vendorImplementation")
                .fields()
                .forEachRemaining(e -> impl.put(e.getKey(), e.getValue().asText()));
        return o;
    }

    /**
     * xenapi.json spells event.from's result "an event batch"; it is the struct {events, valid_ref_counts,
     * token}, which we name {@code event_batch record} (a record type without a class of its own).
     */
    private static String resultType(String t) {
        return t.equals("an event batch") ? "event_batch record" : t;
    }

    private static ArrayNode errorNames(JsonNode errors) {
        ArrayNode out = F.arrayNode();
        for (JsonNode e : errors)
            out.add(e.isTextual() ? e.asText() : e.path("name").asText());
        return out;
    }

    private static ArrayNode mapKeyRoles(List<JsonNode> entries) {
        ArrayNode out = F.arrayNode();
        if (entries != null) {
            for (JsonNode e : entries)
                out.addObject()
                        .put("key", e.path("key").asText())
                        .set("roles", e.path("roles").deepCopy());
        }
        return out;
    }

    private String column(String cls, String field) {
        JsonNode c = supplement.path("dbColumns").path(cls).path(field);
        return c.isTextual() ? c.asText() : field;
    }

    private static String lifecycle(JsonNode lc) {
        String s = lc.path("state").asText("Published_s");
        return s.endsWith("_s") ? s.substring(0, s.length() - 2).toLowerCase() : s.toLowerCase();
    }

    private static Map<String, List<JsonNode>> groupByClass(JsonNode arr) {
        Map<String, List<JsonNode>> m = new LinkedHashMap<>();
        for (JsonNode x : arr)
            m.computeIfAbsent(x.path("class").asText(), k -> new ArrayList<>()).add(x);
        return m;
    }

    private static Set<String> strings(JsonNode arr) {
        Set<String> s = new HashSet<>();
        for (JsonNode x : arr) s.add(x.asText());
        return s;
    }

    /** Classifies an implicit message by its name; returns {kind, field or null}. */
    private static String[] implicitKind(String name, Map<String, JsonNode> fields) {
        switch (name) {
            case "get_record":
                return new String[] {"GET_RECORD", null};
            case "get_all":
                return new String[] {"GET_ALL", null};
            case "get_all_records":
                return new String[] {"GET_ALL_RECORDS", null};
            case "get_all_records_where":
                return new String[] {"GET_ALL_RECORDS_WHERE", null};
            case "get_all_where":
                return new String[] {"GET_ALL_WHERE", null};
            case "get_by_uuid":
                return new String[] {"GET_BY_UUID", null};
            case "get_by_name_label":
                return new String[] {"GET_BY_NAME_LABEL", null};
            case "create":
                return new String[] {"CREATE", null};
            case "destroy":
                return new String[] {"DESTROY", null};
            default:
                break;
        }
        String[][] prefixes = {
            {"add_to_", "ADD_TO_MAP"},
            {"remove_from_", "REMOVE_FROM_MAP"},
            {"get_", "GET_FIELD"},
            {"set_", "SET_FIELD"},
            {"add_", "ADD_TO_SET"},
            {"remove_", "REMOVE_FROM_SET"}
        };
        for (String[] p : prefixes) {
            if (name.startsWith(p[0]) && fields.containsKey(name.substring(p[0].length()))) {
                return new String[] {p[1], name.substring(p[0].length())};
            }
        }
        throw new IllegalStateException("cannot classify implicit message " + name);
    }

    /** Converts a default in xenapi.json's OCaml-flavoured notation to typed JSON. */
    static JsonNode convertDefault(String type, String text) {
        String t = type.trim();
        if (t.endsWith(" option")) return convertDefault(t.substring(0, t.length() - 7), text);
        if (t.endsWith(" set")) {
            ArrayNode a = F.arrayNode();
            String inner = stripBraces(text);
            String elem = t.substring(0, t.length() - 4);
            for (String part : splitTop(inner)) a.add(convertDefault(elem, part));
            return a;
        }
        if (t.endsWith(" map")) {
            ObjectNode o = F.objectNode();
            String inner = stripBraces(text);
            String vt = t.substring(t.indexOf("->") + 2, t.lastIndexOf(')')).trim();
            for (String part : splitTop(inner)) {
                int arrow = part.indexOf("->");
                String k = unquote(part.substring(0, arrow).trim());
                o.set(k, convertDefault(vt, part.substring(arrow + 2).trim()));
            }
            return o;
        }
        if (t.endsWith(" ref")) {
            String v = unquote(text);
            return F.textNode(v.equals("Null") || v.isEmpty() ? "OpaqueRef:NULL" : v);
        }
        return switch (t) {
            case "int" -> F.numberNode(Long.parseLong(text.trim()));
            case "float" ->
                F.numberNode(Double.parseDouble(text.trim().endsWith(".") ? text.trim() + "0" : text.trim()));
            case "bool" -> F.booleanNode(Boolean.parseBoolean(text.trim()));
            default -> F.textNode(unquote(text));
        };
    }

    private static String stripBraces(String s) {
        String x = s.trim();
        if (x.startsWith("{") && x.endsWith("}")) x = x.substring(1, x.length() - 1);
        if (x.startsWith("(") && x.endsWith(")")) x = x.substring(1, x.length() - 1);
        return x.trim();
    }

    private static List<String> splitTop(String s) {
        List<String> parts = new ArrayList<>();
        if (s.isBlank()) return parts;
        StringBuilder cur = new StringBuilder();
        boolean inQuote = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') inQuote = !inQuote;
            if (!inQuote && (c == ',' || c == ';')) {
                parts.add(cur.toString().trim());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (!cur.toString().isBlank()) parts.add(cur.toString().trim());
        return parts;
    }

    private static String unquote(String s) {
        String x = s.trim();
        if (x.length() >= 2 && x.startsWith("\"") && x.endsWith("\"")) return x.substring(1, x.length() - 1);
        return x;
    }
}
