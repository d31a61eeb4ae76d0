package org.xapijava.db;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.internal.Schema.TableSchema;
import org.xapijava.model.Datamodel;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.Utf8Check;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.model.types.Values;
import org.xapijava.model.types.XType;

/**
 * The database's one value check, applied at its edge: by every write of a {@link Transaction} (rows created,
 * fields written, set and map updates, whoever the caller) and by every load ({@code state.db} rows and replayed
 * redo-log deltas, through {@link Loader}). A value must be a Java value of its column's type (see {@link XType}),
 * an enum value must belong to its enum, and every string inside the value (strings, refs, set elements, map keys
 * and values, at any depth) must be text the database may store ({@link Utf8Check#firstUnstorable}): so no
 * writer of {@code state.db}, the redo log or a response ever meets a character its reader refuses. Stateless.
 */
final class ValueCheck {
    private ValueCheck() {}

    /** Xapi's answer to a refused string ({@code write_field}'s {@code Db_exn.Invalid_value}). */
    static ApiError invalidValue() {
        return ApiError.internal(Utf8Check.DB_INVALID_VALUE);
    }

    /**
     * Checks a value to be written and returns an immutable copy.
     *
     * @throws ApiError {@code INTERNAL_ERROR ["Db_exn.Invalid_value"]} when a string inside holds a refused
     *     character
     * @throws IllegalArgumentException when the value is not of the column's type or names an unknown enum
     *     value (a caller's bug: the dispatcher decodes client values by type before they get here)
     */
    static Object normalize(Datamodel dm, TableSchema ts, int col, XType t, Object v) {
        switch (t) {
            case XType.Prim p
            when p.kind() == XType.Kind.STRING -> {
                return text(ts, col, t, v);
            }
            case XType.RefType r -> {
                return text(ts, col, t, v);
            }
            case XType.EnumType e -> {
                if (!(v instanceof String s) || !dm.enumDef(e.name()).contains(s)) throw typeError(ts, col, t, v);
                return s;
            }
            case XType.SetType st -> {
                if (!(v instanceof List<?> l)) throw typeError(ts, col, t, v);
                List<Object> out = new ArrayList<>(l.size());
                for (Object x : l) out.add(normalize(dm, ts, col, st.element(), x));
                return Collections.unmodifiableList(out);
            }
            case XType.MapType mt -> {
                if (!(v instanceof Map<?, ?> m)) throw typeError(ts, col, t, v);
                Map<Object, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> x : m.entrySet()) {
                    out.put(
                            normalize(dm, ts, col, mt.key(), x.getKey()),
                            normalize(dm, ts, col, mt.value(), x.getValue()));
                }
                return Collections.unmodifiableMap(out);
            }
            case XType.OptionType o -> {
                return v == null ? null : normalize(dm, ts, col, o.inner(), v);
            }
            default -> {
                if (v == null || !Values.conforms(t, v)) throw typeError(ts, col, t, v);
                if (v instanceof DateTime d && !hasWireForm(d)) throw typeError(ts, col, t, v);
                return v;
            }
        }
    }

    /**
     * Whether a datetime can be written and read back ({@code YYYYMMDDTHH:MM:SS} and an offset in whole minutes):
     * what comes from a client always can; a value built in code might not.
     */
    private static boolean hasWireForm(DateTime d) {
        int year = d.local().getYear();
        return year >= 0 && year <= 9999 && (d.offset() == null || d.offset().getTotalSeconds() % 60 == 0);
    }

    private static String text(TableSchema ts, int col, XType t, Object v) {
        if (!(v instanceof String s)) throw typeError(ts, col, t, v);
        if (Utf8Check.firstUnstorable(s) >= 0) throw invalidValue();
        return s;
    }

    /**
     * What is wrong with a loaded value of type {@code t}, or null when nothing is: an enum value its enum does
     * not have, or the first string holding a refused character (named with {@link Utf8Check#describeUnstorable}).
     */
    static String problem(Datamodel dm, XType t, Object v) {
        switch (t) {
            case XType.EnumType e -> {
                String s = (String) v;
                if (!dm.enumDef(e.name()).contains(s)) return "'" + s + "' is not a value of " + t;
                return textProblem(s);
            }
            case XType.SetType st -> {
                for (Object x : (List<?>) v) {
                    String p = problem(dm, st.element(), x);
                    if (p != null) return p;
                }
                return null;
            }
            case XType.MapType mt -> {
                for (Map.Entry<?, ?> x : ((Map<?, ?>) v).entrySet()) {
                    String p = problem(dm, mt.key(), x.getKey());
                    if (p == null) p = problem(dm, mt.value(), x.getValue());
                    if (p != null) return p;
                }
                return null;
            }
            case XType.OptionType o -> {
                return v == null ? null : problem(dm, o.inner(), v);
            }
            default -> {
                return v instanceof String s ? textProblem(s) : null;
            }
        }
    }

    private static String textProblem(String s) {
        String d = Utf8Check.describeUnstorable(s);
        return d == null ? null : "the value holds " + d + ", a character the database refuses";
    }

    /**
     * The value a repair puts in place of a loaded value that {@link #problem} finds fault with: each refused
     * character of a string becomes U+FFFD (so what remains stays readable), a ref holding one becomes
     * {@code OpaqueRef:NULL} (it cannot name any object), an unknown enum value becomes {@code fallback}'s (the
     * column's default). Map entries whose repaired key repeats an earlier key are dropped. Values without fault
     * are returned as they are.
     */
    static Object repair(Datamodel dm, XType t, Object v, Object fallback) {
        if (problem(dm, t, v) == null) return v;
        switch (t) {
            case XType.RefType r -> {
                return Refs.NULL;
            }
            case XType.EnumType e -> {
                return dm.enumDef(e.name()).contains((String) v) ? v : fallback;
            }
            case XType.SetType st -> {
                List<Object> out = new ArrayList<>();
                for (Object x : (List<?>) v) out.add(repair(dm, st.element(), x, null));
                return Collections.unmodifiableList(out);
            }
            case XType.MapType mt -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> x : ((Map<?, ?>) v).entrySet()) {
                    out.putIfAbsent(repair(dm, mt.key(), x.getKey(), null), repair(dm, mt.value(), x.getValue(), null));
                }
                return Collections.unmodifiableMap(out);
            }
            case XType.OptionType o -> {
                return repair(dm, o.inner(), v, fallback);
            }
            default -> {
                return v instanceof String s ? replaceUnstorable(s) : v;
            }
        }
    }

    /** {@code s} with each refused character (a surrogate pair counting as one) replaced by U+FFFD. */
    static String replaceUnstorable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            int bad = Utf8Check.firstUnstorable(s.substring(i));
            if (bad < 0) {
                b.append(s, i, s.length());
                break;
            }
            b.append(s, i, i + bad).append('\uFFFD');
            int at = i + bad;
            boolean pair = Character.isHighSurrogate(s.charAt(at))
                    && at + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(at + 1));
            i = at + (pair ? 2 : 1);
        }
        return b.toString();
    }

    private static IllegalArgumentException typeError(TableSchema ts, int col, XType t, Object v) {
        return new IllegalArgumentException(ts.name + "." + ts.fields[col].name() + ": expected " + t + ", got "
                + (v == null ? "null" : v.getClass().getSimpleName() + " " + v));
    }
}
