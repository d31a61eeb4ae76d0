package org.xapijava.model.rpc;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.FieldDef;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.XType;

/**
 * Java value of a XenAPI type (see {@link XType}) → RPC value, as Xapi's generated marshallers produce it:
 * ints stay {@link Long} (the XML-RPC writer sends them as untyped strings, JSON-RPC as numbers); map keys are
 * stringified (ints in decimal, enums and refs as they are); records become structs of the class's wire fields
 * in datamodel order, with {@code option} fields omitted when None (a field missing from the Java map is sent
 * with its datamodel default, or the type's empty value); an {@code option} outside a record becomes
 * {@code []} or {@code [x]}; void becomes {@code ""}. A {@code <class> record} (event snapshot) must already be
 * an RPC struct (made with {@link #record} for its real class) and is passed through. Stateless and thread-safe.
 */
public final class Marshal {
    private Marshal() {}

    public static Object toRpc(XType t, Object v) {
        return toRpc(Datamodel.get(), t, v);
    }

    /**
     * @throws IllegalArgumentException when {@code v} is not a Java value of {@code t} (a programming error)
     */
    public static Object toRpc(Datamodel dm, XType t, Object v) {
        return switch (t) {
            case XType.Prim p ->
                switch (p.kind()) {
                    case STRING -> cast(String.class, t, v);
                    case INT -> v instanceof Integer i ? Long.valueOf(i) : cast(Long.class, t, v);
                    case FLOAT -> cast(Double.class, t, v);
                    case BOOL -> cast(Boolean.class, t, v);
                    case DATETIME -> cast(DateTime.class, t, v);
                    case VOID -> "";
                };
            case XType.EnumType e -> cast(String.class, t, v);
            case XType.RefType r -> cast(String.class, t, v);
            case XType.SetType s when flat(s.element()) && v instanceof List<?> l && fits(s.element(), l) -> l;
            case XType.MapType m
            when stringKeyed(m.key()) && flat(m.value()) && v instanceof Map<?, ?> mm && fitsMap(m.value(), mm) -> mm;
            case XType.SetType s -> {
                Collection<?> c = cast(Collection.class, t, v);
                List<Object> out = new ArrayList<>(c.size());
                for (Object x : c) out.add(toRpc(dm, s.element(), x));
                yield out;
            }
            case XType.MapType m -> {
                Map<?, ?> in = cast(Map.class, t, v);
                Map<String, Object> out = new LinkedHashMap<>(Math.max(4, in.size() * 4 / 3 + 1));
                for (Map.Entry<?, ?> e : in.entrySet()) {
                    out.put(key(m.key(), e.getKey()), toRpc(dm, m.value(), e.getValue()));
                }
                yield out;
            }
            case XType.RecordType r -> {
                Map<?, ?> rec = cast(Map.class, t, v);
                if (r.cls().equals(XType.ANY_CLASS)) {
                    // An event snapshot: the caller marshals it with the record's real class (see record()).
                    yield rec;
                }
                ClassDef cls = dm.cls(r.cls());
                if (cls == null) throw new IllegalArgumentException("unknown class " + r.cls());
                yield record(dm, cls, rec);
            }
            case XType.OptionType o ->
                v == null ? new ArrayList<>(0) : new ArrayList<>(List.of(toRpc(dm, o.inner(), v)));
        };
    }

    /** The struct of a record of {@code cls}: wire fields in datamodel order, None options omitted. */
    public static Map<String, Object> record(Datamodel dm, ClassDef cls, Map<?, ?> rec) {
        RecordMap out = new RecordMap(cls.wireFieldNames());
        WireRecord byPosition = rec instanceof WireRecord w && w.wireClass() == cls ? w : null;
        Object version = byPosition == null ? null : byPosition.version();
        if (version != null) {
            // the result follows from the row alone: marshalled only if a writer has not kept its encoding
            out.lazy(version, r -> fill(dm, cls, rec, byPosition, r));
        } else {
            fill(dm, cls, rec, byPosition, out);
        }
        return out;
    }

    private static void fill(Datamodel dm, ClassDef cls, Map<?, ?> rec, WireRecord byPosition, RecordMap out) {
        List<FieldDef> fields = cls.wireFields();
        Object[] aligned = byPosition == null ? alignedValues(fields, rec) : null;
        for (int i = 0, n = fields.size(); i < n; i++) {
            FieldDef f = fields.get(i);
            Object x = byPosition != null ? byPosition.wireValue(i) : aligned != null ? aligned[i] : rec.get(f.name());
            if (f.type() instanceof XType.OptionType o) {
                if (x != null) out.add(f.name(), toRpc(dm, o.inner(), x));
                continue;
            }
            if (x == null && !rec.containsKey(f.name())) {
                x = f.hasDefault() ? f.defaultValue() : dm.emptyValue(f.type());
            }
            if (byPosition != null && passThrough(f.type(), x)) {
                out.add(f.name(), x); // the database checked the value's type when it was written
                continue;
            }
            out.add(f.name(), toRpc(dm, f.type(), x));
        }
    }

    /**
     * The record's values by field position when it iterates exactly the wire fields in datamodel order
     * (as database record views do), saving a key lookup per field; else null.
     */
    private static Object[] alignedValues(List<FieldDef> fields, Map<?, ?> rec) {
        int n = fields.size();
        if (rec.size() != n) return null;
        Object[] vals = new Object[n];
        int i = 0;
        for (Map.Entry<?, ?> e : rec.entrySet()) {
            if (i >= n || !fields.get(i).name().equals(e.getKey())) return null;
            vals[i++] = e.getValue();
        }
        return i == n ? vals : null;
    }

    /** A set or map of scalars whose Java form is its RPC form (held so by the database): no copy, no check. */
    private static boolean passThrough(XType t, Object x) {
        return (t instanceof XType.SetType s && flat(s.element()) && x instanceof List<?>)
                || (t instanceof XType.MapType m && stringKeyed(m.key()) && flat(m.value()) && x instanceof Map<?, ?>);
    }

    // Fast path: a set or map of scalars that already has its RPC form (as the database holds it) is
    // passed through without a copy; the writers only read it. This halves the allocation of record reads.

    private static boolean flat(XType t) {
        return t instanceof XType.EnumType
                || t instanceof XType.RefType
                || (t instanceof XType.Prim p && p.kind() != XType.Kind.VOID && p.kind() != XType.Kind.INT);
    }

    private static boolean stringKeyed(XType k) {
        return k instanceof XType.EnumType
                || k instanceof XType.RefType
                || (k instanceof XType.Prim p && p.kind() == XType.Kind.STRING);
    }

    private static boolean fits(XType t, Object x) {
        if (t instanceof XType.Prim p) {
            return switch (p.kind()) {
                case STRING -> x instanceof String;
                case FLOAT -> x instanceof Double;
                case BOOL -> x instanceof Boolean;
                case DATETIME -> x instanceof DateTime;
                default -> false;
            };
        }
        return x instanceof String;
    }

    private static boolean fits(XType t, List<?> l) {
        for (int i = 0, n = l.size(); i < n; i++) if (!fits(t, l.get(i))) return false;
        return true;
    }

    private static boolean fitsMap(XType t, Map<?, ?> m) {
        for (Map.Entry<?, ?> e : m.entrySet())
            if (!(e.getKey() instanceof String) || !fits(t, e.getValue())) return false;
        return true;
    }

    private static String key(XType keyType, Object k) {
        return switch (k) {
            case String s -> s;
            case Long l -> Long.toString(l);
            case Integer i -> Integer.toString(i);
            case null, default -> throw new IllegalArgumentException("map key " + k + " does not fit " + keyType);
        };
    }

    private static <T> T cast(Class<T> c, XType t, Object v) {
        if (!c.isInstance(v)) {
            throw new IllegalArgumentException("value "
                    + (v == null ? "null" : v.getClass().getSimpleName() + " " + v) + " does not fit type " + t);
        }
        return c.cast(v);
    }
}
