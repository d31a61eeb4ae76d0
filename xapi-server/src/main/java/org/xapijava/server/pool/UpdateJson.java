package org.xapijava.server.pool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.db.Update;
import org.xapijava.model.Datamodel;
import org.xapijava.model.Field;
import org.xapijava.model.FieldDef;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DbStrings;
import org.xapijava.model.types.XType;

/**
 * An {@link Update} as JSON, for a member's writes to the master's database: each precondition and operation an
 * array whose first element names it, fields as {@code [class, field]}, values in the database string form of their
 * field's type ({@link DbStrings}, exact for every XenAPI type). Unknown classes, fields or kinds are refused with
 * {@link IllegalArgumentException}. Stateless.
 */
public final class UpdateJson {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private UpdateJson() {}

    public static ObjectNode encode(Update u) {
        ObjectNode out = F.objectNode();
        ArrayNode pre = out.putArray("pre");
        for (Update.Precondition p : u.preconditions()) pre.add(encode(p));
        ArrayNode ops = out.putArray("ops");
        for (Update.Op op : u.ops()) ops.add(encode(op));
        return out;
    }

    public static Update decode(JsonNode n) {
        List<Update.Precondition> pre = new ArrayList<>();
        for (JsonNode p : array(n.get("pre"))) pre.add(precondition(p));
        Update.Builder b = Update.builder().require(pre);
        List<Update.Op> ops = new ArrayList<>();
        for (JsonNode o : array(n.get("ops"))) ops.add(op(o));
        return new Update(b.build().preconditions(), ops);
    }

    private static ArrayNode encode(Update.Precondition p) {
        ArrayNode a = F.arrayNode();
        switch (p) {
            case Update.Exists e -> a.add("exists").add(e.cls()).add(e.ref());
            case Update.Equals e -> {
                a.add("equals").add(e.field().cls()).add(e.field().name()).add(e.ref());
                a.add(DbStrings.toDb(type(e.field()), e.value()));
                if (e.onFailure() == null) a.addNull();
                else {
                    ArrayNode err = a.addArray().add(e.onFailure().code());
                    for (String s : e.onFailure().params()) err.add(s);
                }
            }
            case Update.Unchanged c ->
                a.add("unchanged").add(c.cls()).add(c.ref()).add(c.modified());
            case Update.SameRows r -> {
                a.add("same_rows").add(r.cls());
                if (r.field() == null) a.addNull().addNull();
                else a.add(r.field().name()).add(DbStrings.toDb(type(r.field()), r.value()));
                ArrayNode refs = a.addArray();
                for (String ref : r.refs()) refs.add(ref);
            }
        }
        return a;
    }

    private static Update.Precondition precondition(JsonNode a) {
        String kind = a.get(0).asText();
        return switch (kind) {
            case "exists" -> new Update.Exists(text(a, 1), text(a, 2));
            case "equals" -> {
                Field<?> f = field(text(a, 1), text(a, 2));
                ApiError err = null;
                if (!a.get(5).isNull()) {
                    List<String> ps = new ArrayList<>();
                    for (int i = 1; i < a.get(5).size(); i++)
                        ps.add(a.get(5).get(i).asText());
                    err = new ApiError(a.get(5).get(0).asText(), ps);
                }
                yield new Update.Equals(text(a, 3), f, DbStrings.fromDb(type(f), text(a, 4)), err);
            }
            case "unchanged" ->
                new Update.Unchanged(text(a, 1), text(a, 2), a.get(3).asLong());
            case "same_rows" -> {
                String cls = text(a, 1);
                Field<?> f = a.get(2).isNull() ? null : field(cls, text(a, 2));
                Object v = f == null ? null : DbStrings.fromDb(type(f), text(a, 3));
                Set<String> refs = new LinkedHashSet<>();
                for (JsonNode r : a.get(4)) refs.add(r.asText());
                yield new Update.SameRows(cls, f, v, refs);
            }
            default -> throw new IllegalArgumentException("unknown precondition " + kind);
        };
    }

    private static ArrayNode encode(Update.Op op) {
        ArrayNode a = F.arrayNode();
        switch (op) {
            case Update.Create c -> {
                a.add("create").add(c.cls()).add(c.ref());
                ObjectNode vs = a.addObject();
                for (Map.Entry<String, Object> e : c.values().entrySet())
                    vs.put(
                            e.getKey(),
                            DbStrings.toDb(field(c.cls(), e.getKey()).def().type(), e.getValue()));
            }
            case Update.Set s -> head(a, "set", s.field(), s.ref()).add(DbStrings.toDb(type(s.field()), s.value()));
            case Update.Delete d -> a.add("delete").add(d.cls()).add(d.ref());
            case Update.AddToSet s -> head(a, "add_to_set", s.field(), s.ref()).add(element(s.field(), s.element()));
            case Update.RemoveFromSet s ->
                head(a, "remove_from_set", s.field(), s.ref()).add(element(s.field(), s.element()));
            case Update.AddToMap m -> {
                XType.MapType t = (XType.MapType) type(m.field());
                head(a, "add_to_map", m.field(), m.ref())
                        .add(DbStrings.toDb(t.key(), m.key()))
                        .add(DbStrings.toDb(t.value(), m.value()));
            }
            case Update.RemoveFromMap m -> {
                XType.MapType t = (XType.MapType) type(m.field());
                head(a, "remove_from_map", m.field(), m.ref()).add(DbStrings.toDb(t.key(), m.key()));
            }
        }
        return a;
    }

    private static Update.Op op(JsonNode a) {
        String kind = a.get(0).asText();
        if (kind.equals("create")) {
            String cls = text(a, 1);
            Map<String, Object> vs = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = a.get(3).fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                vs.put(
                        e.getKey(),
                        DbStrings.fromDb(
                                field(cls, e.getKey()).def().type(),
                                e.getValue().asText()));
            }
            return new Update.Create(text(a, 2), cls, vs);
        }
        if (kind.equals("delete")) return new Update.Delete(text(a, 1), text(a, 2));
        Field<?> f = field(text(a, 1), text(a, 2));
        String ref = text(a, 3);
        return switch (kind) {
            case "set" -> new Update.Set(ref, f, DbStrings.fromDb(type(f), text(a, 4)));
            case "add_to_set" -> new Update.AddToSet(ref, f, fromElement(f, text(a, 4)));
            case "remove_from_set" -> new Update.RemoveFromSet(ref, f, fromElement(f, text(a, 4)));
            case "add_to_map" -> {
                XType.MapType t = (XType.MapType) type(f);
                yield new Update.AddToMap(
                        ref, f, DbStrings.fromDb(t.key(), text(a, 4)), DbStrings.fromDb(t.value(), text(a, 5)));
            }
            case "remove_from_map" ->
                new Update.RemoveFromMap(ref, f, DbStrings.fromDb(((XType.MapType) type(f)).key(), text(a, 4)));
            default -> throw new IllegalArgumentException("unknown operation " + kind);
        };
    }

    private static ArrayNode head(ArrayNode a, String kind, Field<?> f, String ref) {
        return a.add(kind).add(f.cls()).add(f.name()).add(ref);
    }

    private static String element(Field<?> f, Object e) {
        return DbStrings.toDb(((XType.SetType) type(f)).element(), e);
    }

    private static Object fromElement(Field<?> f, String s) {
        return DbStrings.fromDb(((XType.SetType) type(f)).element(), s);
    }

    /** The handle of a datamodel field; {@link IllegalArgumentException} when there is none. */
    static Field<?> field(String cls, String name) {
        var c = Datamodel.get().cls(cls);
        if (c == null || c.field(name) == null) throw new IllegalArgumentException("no field " + cls + "." + name);
        return new Field<>(cls, name);
    }

    private static XType type(Field<?> f) {
        FieldDef d = f.def();
        if (d == null) throw new IllegalArgumentException("no field " + f);
        return d.type();
    }

    private static String text(JsonNode a, int i) {
        JsonNode n = a.get(i);
        if (n == null || !n.isTextual()) throw new IllegalArgumentException("expected text at " + i + " of " + a);
        return n.asText();
    }

    private static Iterable<JsonNode> array(JsonNode n) {
        if (n == null || !n.isArray()) throw new IllegalArgumentException("expected an array");
        return n;
    }
}
