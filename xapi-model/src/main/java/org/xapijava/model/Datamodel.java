package org.xapijava.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xapijava.model.types.Values;
import org.xapijava.model.types.XType;

/**
 * The XenAPI datamodel: every class, field, message, enum and relation, plus the hidden messages and
 * permissions the published JSON lacks. Loaded once from the resource {@code datamodel.json}
 * (produced by {@code xapi-codegen}'s importer from {@code xenapi.json} and the supplement).
 * Immutable and thread-safe.
 */
public final class Datamodel {
    public static final String RESOURCE = "/org/xapijava/model/datamodel.json";

    /** A role of the static RBAC table, most privileged first. */
    public record Role(String name, boolean internal, String description) {}

    /** A permission that is not a message (e.g. {@code task.destroy/any}). */
    public record ExtraPermission(String name, List<String> roles) {}

    /**
     * One of Xapi's HTTP actions ({@code datamodel.ml http_actions}): name, method ({@code GET}, {@code PUT},
     * {@code POST}, {@code CONNECT}, {@code OPTIONS}), path, whether Xapi skips its credential and RBAC check
     * ({@code public_http_actions_with_no_rbac_check}) and the roles allowed it.
     */
    public record HttpActionDef(String name, String method, String path, boolean noRbacCheck, List<String> roles) {}

    private static volatile Datamodel instance;

    private final int schemaMajor;
    private final int schemaMinor;
    private final long apiVersionMajor;
    private final long apiVersionMinor;
    private final String apiVersionVendor;
    private final Map<String, String> apiVersionVendorImplementation;
    private final List<Role> roles;
    private final Map<String, EnumDef> enums;
    private final List<ClassDef> classes;
    private final Map<String, ClassDef> classesByName = new LinkedHashMap<>();
    private final Map<String, ClassDef> classesByLowerName = new HashMap<>();
    private final Map<String, MessageDef> messagesByWireName = new HashMap<>();
    private final List<Relation> relations;
    private final List<ExtraPermission> extraPermissions;
    private final List<String> emergencyCalls;
    private final JsonNode httpActions;
    private final List<HttpActionDef> httpActionDefs;
    private final Map<String, List<String>> laterColumns;
    private final List<String> laterTables;

    private Datamodel(JsonNode root) {
        schemaMajor = root.path("schemaVersion").path("major").asInt();
        schemaMinor = root.path("schemaVersion").path("minor").asInt();
        JsonNode av = root.path("apiVersion");
        if (!av.path("major").isIntegralNumber() || !av.path("minor").isIntegralNumber()) {
            throw new IllegalStateException(RESOURCE + " lacks apiVersion (re-run scripts/import-datamodel)");
        }
        apiVersionMajor = av.get("major").asLong();
        apiVersionMinor = av.get("minor").asLong();
        apiVersionVendor = av.path("vendor").asText();
        Map<String, String> impl = new LinkedHashMap<>();
        av.path("vendorImplementation")
                .fields()
                .forEachRemaining(e -> impl.put(e.getKey(), e.getValue().asText()));
        apiVersionVendorImplementation = Collections.unmodifiableMap(impl);
        List<Role> rs = new ArrayList<>();
        for (JsonNode r : root.path("roles")) {
            rs.add(new Role(
                    r.path("name").asText(),
                    r.path("internal").asBoolean(),
                    r.path("description").asText()));
        }
        roles = List.copyOf(rs);
        Map<String, EnumDef> es = new LinkedHashMap<>();
        for (JsonNode e : root.path("enums")) {
            List<String> vals = new ArrayList<>();
            for (JsonNode v : e.path("values")) {
                vals.add(v.path("name").asText());
            }
            es.put(e.path("name").asText(), new EnumDef(e.path("name").asText(), vals));
        }
        enums = Collections.unmodifiableMap(es);
        List<ClassDef> cs = new ArrayList<>();
        for (JsonNode c : root.path("classes")) {
            ClassDef cd = readClass(c);
            cs.add(cd);
            classesByName.put(cd.name(), cd);
            classesByLowerName.put(cd.name().toLowerCase(Locale.ROOT), cd);
            for (MessageDef m : cd.messages().values()) messagesByWireName.put(m.wireName(), m);
        }
        classes = List.copyOf(cs);
        List<Relation> rels = new ArrayList<>();
        for (JsonNode r : root.path("relations")) {
            rels.add(new Relation(
                    Relation.Kind.valueOf(r.path("kind").asText()),
                    r.path("aClass").asText(),
                    r.path("aField").asText(),
                    r.path("bClass").asText(),
                    r.path("bField").asText()));
        }
        relations = List.copyOf(rels);
        List<ExtraPermission> eps = new ArrayList<>();
        for (JsonNode p : root.path("extraPermissions"))
            eps.add(new ExtraPermission(p.path("name").asText(), strings(p.path("roles"))));
        extraPermissions = List.copyOf(eps);
        emergencyCalls = strings(root.path("emergencyCalls"));
        httpActions = root.path("httpActions");
        List<HttpActionDef> has = new ArrayList<>();
        for (JsonNode h : httpActions) {
            has.add(new HttpActionDef(
                    h.path("name").asText(),
                    h.path("method").asText(),
                    h.path("path").asText(),
                    h.path("noRbacCheck").asBoolean(),
                    strings(h.path("roles"))));
        }
        httpActionDefs = List.copyOf(has);
        Map<String, List<String>> lc = new LinkedHashMap<>();
        root.path("laterColumns").fields().forEachRemaining(e -> lc.put(e.getKey(), strings(e.getValue())));
        laterColumns = Collections.unmodifiableMap(lc);
        laterTables = strings(root.path("laterTables"));
    }

    private ClassDef readClass(JsonNode c) {
        String name = c.path("name").asText();
        List<FieldDef> fields = new ArrayList<>();
        for (JsonNode f : c.path("fields")) {
            XType t = XType.parse(f.path("type").asText());
            boolean hasDefault = f.has("default");
            Object def = hasDefault ? Values.fromJson(t, f.get("default")) : null;
            fields.add(new FieldDef(
                    name,
                    f.path("name").asText(),
                    f.path("column").asText(),
                    t,
                    Qualifier.of(f.path("qualifier").asText()),
                    def,
                    hasDefault,
                    f.path("persist").asBoolean(true),
                    f.path("internal").asBoolean(false),
                    Lifecycle.of(f.path("lifecycle").asText("published"))));
        }
        List<MessageDef> msgs = new ArrayList<>();
        for (JsonNode m : c.path("messages")) {
            List<ParamDef> ps = new ArrayList<>();
            for (JsonNode p : m.path("params")) {
                XType pt = XType.parse(p.path("type").asText());
                boolean hasDefault = p.has("default");
                ps.add(new ParamDef(
                        p.path("name").asText(),
                        pt,
                        hasDefault ? Values.fromJson(pt, p.get("default")) : null,
                        hasDefault));
            }
            List<MapKeyRole> mk = new ArrayList<>();
            for (JsonNode k : m.path("mapKeyRoles"))
                mk.add(new MapKeyRole(k.path("key").asText(), strings(k.path("roles"))));
            msgs.add(new MessageDef(
                    name,
                    m.path("name").asText(),
                    MessageKind.valueOf(m.path("kind").asText()),
                    m.hasNonNull("field") ? m.get("field").asText() : null,
                    ps,
                    XType.parse(m.path("result").asText()),
                    strings(m.path("errors")),
                    strings(m.path("roles")),
                    m.path("async").asBoolean(),
                    m.path("sessionless").asBoolean(),
                    m.path("hidden").asBoolean(),
                    m.path("poolInternal").asBoolean(),
                    Lifecycle.of(m.path("lifecycle").asText("published")),
                    mk));
        }
        return new ClassDef(
                name,
                c.path("persistent").asBoolean(true),
                c.path("events").asBoolean(true),
                Lifecycle.of(c.path("lifecycle").asText("published")),
                fields,
                msgs);
    }

    private static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        for (JsonNode x : arr) out.add(x.asText());
        return List.copyOf(out);
    }

    /** The datamodel of this build (loaded on first use). */
    public static Datamodel get() {
        Datamodel d = instance;
        if (d == null) {
            synchronized (Datamodel.class) {
                d = instance;
                if (d == null) instance = d = load();
            }
        }
        return d;
    }

    private static Datamodel load() {
        try (InputStream in = Datamodel.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing resource " + RESOURCE);
            return new Datamodel(new ObjectMapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    public int schemaMajor() {
        return schemaMajor;
    }

    public int schemaMinor() {
        return schemaMinor;
    }

    /**
     * The XenAPI version this datamodel is ({@code api_version_major} of Xapi's {@code datamodel_common.ml});
     * every host reports it as {@code host.API_version_major}.
     */
    public long apiVersionMajor() {
        return apiVersionMajor;
    }

    /** {@code api_version_minor}; every host reports it as {@code host.API_version_minor}. */
    public long apiVersionMinor() {
        return apiVersionMinor;
    }

    /** {@code api_version_vendor} ({@code "XenSource"}), reported as {@code host.API_version_vendor}. */
    public String apiVersionVendor() {
        return apiVersionVendor;
    }

    /** {@code api_version_vendor_implementation} (empty), reported as {@code host.API_version_vendor_implementation}. */
    public Map<String, String> apiVersionVendorImplementation() {
        return apiVersionVendorImplementation;
    }

    /** The static roles, most privileged first. */
    public List<Role> roles() {
        return roles;
    }

    public List<ClassDef> classes() {
        return classes;
    }

    /** A class by exact name, or null. */
    public ClassDef cls(String name) {
        return classesByName.get(name);
    }

    /** A class by name in any letter case (event subscriptions, valid_ref_counts), or null. */
    public ClassDef clsIgnoreCase(String name) {
        return classesByLowerName.get(name.toLowerCase(Locale.ROOT));
    }

    public Map<String, EnumDef> enums() {
        return enums;
    }

    public EnumDef enumDef(String name) {
        return enums.get(name);
    }

    /** A message by synchronous wire name ({@code VM.start}), or null. */
    public MessageDef message(String wireName) {
        return messagesByWireName.get(wireName);
    }

    public List<Relation> relations() {
        return relations;
    }

    public List<ExtraPermission> extraPermissions() {
        return extraPermissions;
    }

    /** Wire names of the calls a host in emergency mode still answers. */
    public List<String> emergencyCalls() {
        return emergencyCalls;
    }

    /** The HTTP actions table as the importer wrote it (name, method, path, roles, ...). */
    public JsonNode httpActions() {
        return httpActions;
    }

    /** The HTTP actions, in the datamodel's order. */
    public List<HttpActionDef> httpActionDefs() {
        return httpActionDefs;
    }

    /**
     * Database columns that newer Xapi releases have and this datamodel lacks, by table: a database
     * written by such a release may hold them; they are dropped at load.
     */
    public Map<String, List<String>> laterColumns() {
        return laterColumns;
    }

    /** Database tables of newer Xapi releases that this datamodel lacks (dropped at load). */
    public List<String> laterTables() {
        return laterTables;
    }

    /** The empty value of a type, with enum defaults taken from this datamodel. */
    public Object emptyValue(XType t) {
        return Values.empty(t, n -> enums.get(n).values());
    }
}
