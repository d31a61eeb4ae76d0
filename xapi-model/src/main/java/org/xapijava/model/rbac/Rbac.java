package org.xapijava.model.rbac;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.FieldDef;
import org.xapijava.model.MapKeyRole;
import org.xapijava.model.MessageDef;
import org.xapijava.model.MessageKind;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;

/**
 * Xapi's static RBAC table: the permissions (one per client-visible message, per protected map key, per HTTP
 * action and sub-action, plus the extra permissions), the roles holding each, and the {@code role} objects
 * Xapi serves for them. Built once from a {@link Datamodel}; immutable and thread-safe.
 *
 * <h2>Generation (as Xapi's code generator builds its static table)</h2>
 * Permissions are generated in this order: for each class in datamodel order, for each message in Xapi's
 * message order (see {@link #xapiMessageOrder}), the message's synchronous wire name ({@code VM.start}) followed
 * by one {@code <wire name>/key:<key>} per protected map key; then {@code http/<action>} for each HTTP action
 * followed by its sub-actions {@code http/<action>/<sub>}; then the extra permissions ({@code task.destroy/any}).
 * Every message of the datamodel counts as client-visible: the resource holds exactly the messages a client
 * can call (Xapi's {@code on_client_side} filter was applied when it was produced).
 *
 * <p>A role's permission list ({@code subroles} of its role object) is the permissions it holds in generation
 * order. Permissions no role holds (allowed to the local superuser only, e.g. {@code session.change_password})
 * are in {@link #permissions()} but are not role objects: Xapi's role table lists exactly the permissions of
 * {@code pool-admin}, then the roles. The roles come in the order Xapi's generator leaves them, which is not
 * the privilege order: the role that received a permission least recently comes first (with this datamodel
 * {@code vm-power-admin, vm-admin, vm-operator, read-only, client-cert, pool-admin, pool-operator}); the same
 * order is used wherever Xapi lists roles (denial messages, {@code role.get_by_permission*}).
 *
 * <h2>Names</h2>
 * {@link #permissions()} keeps the original case ({@code VM.start}); everything a client sees or a session
 * holds is lower-cased ({@code vm.start}), as Xapi lower-cases permission names (ASCII only).
 */
public final class Rbac {
    /** {@code name_description} of every permission object. */
    public static final String PERMISSION_DESCRIPTION = "A basic permission";
    /** Prefix of the permissions of HTTP actions. */
    public static final String HTTP_PREFIX = "http/";
    /** Between a message's wire name and a protected map key in a key permission. */
    public static final String KEY_INFIX = "/key:";
    /** The only {@code role.get_all*_where} expression selecting roles (Xapi compares the string exactly). */
    public static final String EXPR_ROLES_ONLY = "subroles<>[]";
    /** The only {@code role.get_all*_where} expression selecting permissions. */
    public static final String EXPR_PERMISSIONS_ONLY = "subroles=[]";
    /** The role whose permissions are the permission objects Xapi serves (it holds every role-held permission). */
    public static final String POOL_ADMIN = "pool-admin";
    /** Wire error code of a denied call. */
    public static final String RBAC_PERMISSION_DENIED = "RBAC_PERMISSION_DENIED";

    private static final String ROLE_CLASS = "role";
    /** Suffix Xapi uses for a keyed call without a {@code key} argument: a permission no session holds. */
    private static final String KEY_ERR_NO_KEY = "/keyERR:DENY_NOKEY";

    private static volatile Rbac cached;

    /** A role object: a permission (leaf, no subroles) or a role (subroles = its permissions). */
    private record Entry(
            String name,
            String ref,
            String uuid,
            String nameLabel,
            String description,
            List<String> subroles,
            boolean internal,
            boolean permission,
            Map<String, Object> record) {}

    private final Datamodel dm;
    private final List<String> permissions;
    private final List<String> roleOrder;
    private final Map<String, Set<String>> rolesByLabel = new HashMap<>();
    private final List<Entry> permissionEntries = new ArrayList<>();
    private final List<Entry> roleEntries = new ArrayList<>();
    private final List<String> allRefs;
    private final Map<String, Entry> byRef = new HashMap<>();
    private final Map<String, Entry> byUuid = new HashMap<>();
    private final Map<String, Entry> byLabel = new HashMap<>();
    /** True when a role holds a permission that is not a role object, which makes Xapi's role listing fail. */
    private final boolean danglingSubroles;

    private Rbac(Datamodel dm) {
        this.dm = dm;
        Map<String, Datamodel.Role> known = new LinkedHashMap<>();
        for (Datamodel.Role r : dm.roles()) known.put(r.name(), r);

        Map<String, List<String>> permissionsByRole = new HashMap<>();
        List<String> perms = new ArrayList<>();
        Deque<String> recency = new ArrayDeque<>();
        for (Generated g : generate(dm)) {
            perms.add(g.name());
            for (String role : g.roles()) {
                if (!known.containsKey(role))
                    throw new IllegalStateException("unknown role " + role + " for " + g.name());
                permissionsByRole.computeIfAbsent(role, k -> new ArrayList<>()).add(g.name());
                recency.remove(role);
                recency.addFirst(role);
            }
        }
        permissions = List.copyOf(perms);
        List<String> order = new ArrayList<>();
        recency.descendingIterator().forEachRemaining(order::add);
        roleOrder = List.copyOf(order);

        ClassDef roleClass = dm.cls(ROLE_CLASS);
        for (String p : permissionsByRole.getOrDefault(POOL_ADMIN, List.of())) {
            permissionEntries.add(entry(roleClass, p, asciiLower(p), PERMISSION_DESCRIPTION, List.of(), true, true));
        }
        for (String role : roleOrder) {
            List<String> subs = new ArrayList<>();
            for (String p : permissionsByRole.get(role)) subs.add(refOf(p));
            Datamodel.Role r = known.get(role);
            roleEntries.add(
                    entry(roleClass, role, asciiLower(role), r.description(), List.copyOf(subs), r.internal(), false));
        }
        List<String> refs = new ArrayList<>();
        for (Entry e : permissionEntries) refs.add(e.ref());
        for (Entry e : roleEntries) refs.add(e.ref());
        allRefs = List.copyOf(refs);
        for (Entry e : permissionEntries) index(e);
        for (Entry e : roleEntries) index(e);

        boolean dangling = false;
        for (Entry role : roleEntries) {
            for (String sub : role.subroles()) {
                Entry p = byRef.get(sub);
                if (p == null) {
                    dangling = true;
                    continue;
                }
                rolesByLabel
                        .computeIfAbsent(p.nameLabel(), k -> new LinkedHashSet<>())
                        .add(role.name());
            }
        }
        danglingSubroles = dangling;
        rolesByLabel.replaceAll((k, v) -> Collections.unmodifiableSet(v));
    }

    private void index(Entry e) {
        byRef.put(e.ref(), e);
        byUuid.put(e.uuid(), e);
        byLabel.put(e.nameLabel(), e);
    }

    private static Entry entry(
            ClassDef roleClass,
            String name,
            String label,
            String description,
            List<String> subroles,
            boolean internal,
            boolean permission) {
        String uuid = uuidOf(name);
        Map<String, Object> rec = new LinkedHashMap<>();
        for (FieldDef f : roleClass.wireFields()) {
            rec.put(
                    f.name(),
                    switch (f.name()) {
                        case "uuid" -> uuid;
                        case "name_label" -> label;
                        case "name_description" -> description;
                        case "subroles" -> subroles;
                        case "is_internal" -> internal;
                        default -> f.defaultValue();
                    });
        }
        return new Entry(
                name,
                Refs.PREFIX + uuid,
                uuid,
                label,
                description,
                subroles,
                internal,
                permission,
                Collections.unmodifiableMap(rec));
    }

    /** The table of {@code dm}; the table of {@link Datamodel#get()} is built once and shared. */
    public static Rbac of(Datamodel dm) {
        Rbac r = cached;
        if (r != null && r.dm == dm) return r;
        r = new Rbac(dm);
        if (dm == Datamodel.get()) cached = r;
        return r;
    }

    /** The table of {@link Datamodel#get()}. */
    public static Rbac get() {
        return of(Datamodel.get());
    }

    // ---------------------------------------------------------------------------------------------
    // Generation

    private record Generated(String name, List<String> roles) {}

    private static List<Generated> generate(Datamodel dm) {
        List<Generated> out = new ArrayList<>();
        for (ClassDef c : dm.classes()) {
            for (MessageDef m : xapiMessageOrder(c)) {
                out.add(new Generated(m.wireName(), m.roles()));
                for (MapKeyRole k : m.mapKeyRoles())
                    out.add(new Generated(m.wireName() + KEY_INFIX + k.key(), k.roles()));
            }
        }
        for (JsonNode h : dm.httpActions()) {
            String name = HTTP_PREFIX + h.path("name").asText();
            out.add(new Generated(name, strings(h.path("roles"))));
            for (JsonNode s : h.path("subActions")) {
                out.add(new Generated(name + "/" + s.path("name").asText(), strings(s.path("roles"))));
            }
        }
        for (Datamodel.ExtraPermission e : dm.extraPermissions()) out.add(new Generated(e.name(), e.roles()));
        return out;
    }

    /**
     * The messages of a class in Xapi's order (its non-documentation order: {@code get_record},
     * {@code get_by_uuid}, {@code create}, {@code destroy}, {@code get_by_name_label}, getters, setters and
     * add/remove, explicit messages, {@code get_all}, {@code get_all_records}). The resource lists the published
     * messages as {@code xenapi.json} does, which is that order reversed, and the messages missing from
     * {@code xenapi.json} after them; those are placed after the explicit messages, before the trailing
     * {@code get_all*} messages (their exact position among the explicit messages is not in the resource).
     */
    static List<MessageDef> xapiMessageOrder(ClassDef c) {
        List<MessageDef> published = new ArrayList<>();
        List<MessageDef> hidden = new ArrayList<>();
        for (MessageDef m : c.messages().values()) (m.hidden() ? hidden : published).add(m);
        Collections.reverse(published);
        int tail = published.size();
        while (tail > 0 && isGetAll(published.get(tail - 1).kind())) tail--;
        List<MessageDef> out = new ArrayList<>(published.subList(0, tail));
        out.addAll(hidden);
        out.addAll(published.subList(tail, published.size()));
        return out;
    }

    private static boolean isGetAll(MessageKind k) {
        return k == MessageKind.GET_ALL
                || k == MessageKind.GET_ALL_WHERE
                || k == MessageKind.GET_ALL_RECORDS_WHERE
                || k == MessageKind.GET_ALL_RECORDS;
    }

    private static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        for (JsonNode x : arr) out.add(x.asText());
        return List.copyOf(out);
    }

    // ---------------------------------------------------------------------------------------------
    // Permissions and roles by name

    /**
     * Every permission name in original case, in generation order (see the class comment), including the
     * permissions no role holds. Map-key permissions keep the key's case ({@code VM.add_to_other_config/key:XenCenter.CustomFields.*}).
     */
    public List<String> permissions() {
        return permissions;
    }

    /** The role names in Xapi's listing order (see the class comment). */
    public List<String> roleNames() {
        return roleOrder;
    }

    /**
     * The names of the roles holding {@code permission} (compared ignoring ASCII case), in Xapi's role listing
     * order; empty for a permission no role holds or that does not exist.
     */
    public Set<String> rolesWith(String permission) {
        return rolesByLabel.getOrDefault(asciiLower(permission), Set.of());
    }

    /**
     * What a session holding exactly role {@code roleName} gets in {@code session.rbac_permissions}: the
     * lower-cased names of the role's permissions in its {@code subroles} order, then the role's own name.
     * Empty for an unknown role.
     */
    public List<String> permissionsOf(String roleName) {
        Entry e = byLabel.get(roleName);
        if (e == null || e.permission()) return List.of();
        return sessionPermissions(List.of(List.of(e.ref())));
    }

    /**
     * {@code session.rbac_permissions} of a login, computed as Xapi does at login: {@code roleRefsPerSubject}
     * holds, for each subject the user matched (the user's own subject and its groups, in Xapi's order), that
     * subject's {@code roles} field. The result lists, without duplicates, each role's name followed by its
     * permission names, in Xapi's (order-sensitive, last-occurrence-wins) union order. Refs that are not role
     * objects are ignored, as Xapi ignores roles that disappeared.
     */
    public List<String> sessionPermissions(List<List<String>> roleRefsPerSubject) {
        List<String> roles = new ArrayList<>();
        for (List<String> subject : roleRefsPerSubject) roles.addAll(0, reversed(subject));
        roles = setify(roles);
        List<String> out = new ArrayList<>();
        for (String role : roles) {
            Entry e = byRef.get(role);
            if (e == null) continue;
            List<String> names = new ArrayList<>();
            names.add(e.nameLabel());
            names.addAll(permissionLabelsOfRole(role));
            out.addAll(0, reversed(names));
        }
        return List.copyOf(setify(out));
    }

    private static List<String> reversed(List<String> l) {
        List<String> r = new ArrayList<>(l);
        Collections.reverse(r);
        return r;
    }

    /** Xapi's {@code setify}: drops every element that occurs again later in the list. */
    private static List<String> setify(List<String> l) {
        Set<String> seen = new HashSet<>();
        List<String> out = new ArrayList<>();
        for (int i = l.size() - 1; i >= 0; i--) {
            if (seen.add(l.get(i))) out.add(l.get(i));
        }
        Collections.reverse(out);
        return out;
    }

    /**
     * The permission the runtime check of a call to {@code m} (through its synchronous wire name) requires:
     * see {@link #permissionFor(String, MessageDef, String)}.
     */
    public String permissionFor(MessageDef m, String mapKeyArgOrNull) {
        return permissionFor(m.wireName(), m, mapKeyArgOrNull);
    }

    /**
     * The permission the runtime check requires for a call to {@code m} named {@code action} (the method name as
     * called, {@code Async.} prefix removed: Xapi checks {@code VM_start} as {@code vm_start}, which no role
     * holds). The lower-cased action, unless {@code m} has protected map keys: then the call's {@code key}
     * argument is matched against them in datamodel order (exactly, or as a prefix for a key ending in
     * {@code *}) and the first match gives {@code <action>/key:<protected key lower-cased>}; no match gives
     * the plain action; a missing key argument gives a permission no session holds. Sessionless messages are
     * not checked by Xapi; the caller skips them.
     */
    public String permissionFor(String action, MessageDef m, String mapKeyArgOrNull) {
        String a = asciiLower(action);
        if (m.mapKeyRoles().isEmpty()) return a;
        if (mapKeyArgOrNull == null) return a + KEY_ERR_NO_KEY;
        for (MapKeyRole k : m.mapKeyRoles()) {
            if (k.matches(mapKeyArgOrNull)) return a + KEY_INFIX + asciiLower(k.key());
        }
        return a;
    }

    /**
     * The error of a denied check of {@code permission} (as returned by {@link #permissionFor}, i.e. already
     * lower-cased): {@code RBAC_PERMISSION_DENIED [permission, "No permission in user session. (Roles with this
     * permission: r1, r2)"]}, the roles those holding exactly that permission name in Xapi's role listing order
     * (none for a permission no role holds).
     */
    public ApiError denied(String permission) {
        String roles = danglingSubroles
                ? "<Could not obtain the list.>"
                : String.join(", ", rolesByLabel.getOrDefault(permission, Set.of()));
        return new ApiError(
                RBAC_PERMISSION_DENIED,
                permission,
                "No permission in user session. (Roles with this permission: " + roles + ")");
    }

    /** The error of a check made without a session in context: {@code RBAC_PERMISSION_DENIED [permission, "no session in context"]}. */
    public static ApiError deniedWithoutSession(String permission) {
        return new ApiError(RBAC_PERMISSION_DENIED, permission, "no session in context");
    }

    // ---------------------------------------------------------------------------------------------
    // Static role objects

    /** MD5 of the name's UTF-8 bytes as a UUID string (lower-case 8-4-4-4-12 hex, no version bits set). */
    public static String uuidOf(String name) {
        byte[] d;
        try {
            d = MessageDigest.getInstance("MD5").digest(name.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 unavailable", e);
        }
        String h = HexFormat.of().formatHex(d);
        return h.substring(0, 8) + "-" + h.substring(8, 12) + "-" + h.substring(12, 16) + "-" + h.substring(16, 20)
                + "-" + h.substring(20);
    }

    /** {@code OpaqueRef:<uuidOf(name)>}: the reference of the role or permission called {@code name} (original case). */
    public static String refOf(String name) {
        return Refs.PREFIX + uuidOf(name);
    }

    /** {@code role.get_all}: the permission objects (those of pool-admin, in order), then the roles. */
    public List<String> allRefs() {
        return allRefs;
    }

    /** Whether {@code ref} is a static role or permission object. */
    public boolean isValid(String ref) {
        return byRef.containsKey(ref);
    }

    /** Whether {@code ref} is a role (not a permission) object. */
    public boolean isRole(String ref) {
        Entry e = byRef.get(ref);
        return e != null && !e.permission();
    }

    /**
     * The record of a role object, fields in the {@code role} class's wire order ({@code uuid},
     * {@code name_label}, {@code name_description}, {@code subroles}, {@code is_internal}). Unmodifiable.
     *
     * @throws ApiError {@code HANDLE_INVALID [role, ref]} if {@code ref} is not a role object
     */
    public Map<String, Object> record(String ref) {
        return entry(ref).record();
    }

    private Entry entry(String ref) {
        Entry e = byRef.get(ref);
        if (e == null) throw ApiError.handleInvalid(ROLE_CLASS, ref);
        return e;
    }

    /** {@code role.get_all_records}: every role object's record by ref, in {@link #allRefs()} order. */
    public Map<String, Map<String, Object>> allRecords() {
        return recordsOf(allRefs);
    }

    /**
     * {@code role.get_all_where}: the roles for exactly {@value #EXPR_ROLES_ONLY}, the permissions for exactly
     * {@value #EXPR_PERMISSIONS_ONLY}, everything for any other expression (Xapi does not evaluate it).
     */
    public List<String> allWhere(String expr) {
        if (EXPR_ROLES_ONLY.equals(expr)) return whereSubrolesNotEmpty();
        if (EXPR_PERMISSIONS_ONLY.equals(expr)) return whereSubrolesEmpty();
        return allRefs;
    }

    /** {@code role.get_all_records_where}: the records of {@link #allWhere(String)}. */
    public Map<String, Map<String, Object>> allRecordsWhere(String expr) {
        return recordsOf(allWhere(expr));
    }

    private Map<String, Map<String, Object>> recordsOf(List<String> refs) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (String r : refs) out.put(r, byRef.get(r).record());
        return Collections.unmodifiableMap(out);
    }

    /** The permission objects' refs ({@code subroles=[]}). */
    public List<String> whereSubrolesEmpty() {
        return allRefs.subList(0, permissionEntries.size());
    }

    /** The roles' refs ({@code subroles<>[]}). */
    public List<String> whereSubrolesNotEmpty() {
        return allRefs.subList(permissionEntries.size(), allRefs.size());
    }

    /**
     * {@code role.get_by_uuid}.
     *
     * @throws ApiError {@code UUID_INVALID [role, uuid]} if no role object has that uuid
     */
    public String getByUuid(String uuid) {
        Entry e = byUuid.get(uuid);
        if (e == null) throw ApiError.uuidInvalid(ROLE_CLASS, uuid);
        return e.ref();
    }

    /** {@code role.get_by_name_label}: the object whose (lower-case) name_label equals {@code label} exactly, or empty. */
    public List<String> getByNameLabel(String label) {
        Entry e = byLabel.get(label);
        return e == null ? List.of() : List.of(e.ref());
    }

    /**
     * {@code role.get_permissions}: the leaf permissions of a role object, in Xapi's order (a role's
     * {@code subroles} reversed; a permission is its own only leaf).
     *
     * @throws ApiError {@code HANDLE_INVALID [role, ref]} if {@code ref} is not a role object
     */
    public List<String> permissionsOfRole(String ref) {
        Entry e = entry(ref);
        if (e.subroles().isEmpty()) return List.of(e.ref());
        return List.copyOf(reversed(e.subroles()));
    }

    /** {@code role.get_permissions_name_label}: the name_labels of {@link #permissionsOfRole(String)}. */
    public List<String> permissionLabelsOfRole(String ref) {
        List<String> out = new ArrayList<>();
        for (String p : permissionsOfRole(ref)) out.add(byRef.get(p).nameLabel());
        return List.copyOf(out);
    }

    /** {@code role.get_by_permission}: the roles holding permission object {@code permissionRef}, in listing order. */
    public List<String> rolesContaining(String permissionRef) {
        Entry p = byRef.get(permissionRef);
        if (p == null || !p.permission()) return List.of();
        return roleRefs(rolesByLabel.getOrDefault(p.nameLabel(), Set.of()));
    }

    /** {@code role.get_by_permission_name_label}: the roles holding a permission whose name_label is exactly {@code label}. */
    public List<String> rolesContainingLabel(String label) {
        return roleRefs(rolesByLabel.getOrDefault(label, Set.of()));
    }

    private static List<String> roleRefs(Set<String> names) {
        List<String> out = new ArrayList<>();
        for (String n : names) out.add(refOf(n));
        return List.copyOf(out);
    }

    /** Lower-cases ASCII letters only, as OCaml's {@code String.lowercase_ascii}. */
    static String asciiLower(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                if (b == null) b = new StringBuilder(s);
                b.setCharAt(i, (char) (c + ('a' - 'A')));
            }
        }
        return b == null ? s : b.toString();
    }
}
