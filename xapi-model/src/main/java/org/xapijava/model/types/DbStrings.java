package org.xapijava.model.types;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The database string form of values, as Xapi stores them in {@code state.db} and compares them in
 * {@code get_all_records_where}: bool {@code true}/{@code false}, int decimal, float {@code %0.18g},
 * datetime {@code YYYYMMDDTHH:MM:SSZ}, enum and ref as text, sets {@code ('a' 'b')}, maps
 * {@code (('k' 'v') ('k2' 'v2'))} with {@code \} and {@code '} backslash-escaped inside quotes.
 * Stateless and thread-safe.
 */
public final class DbStrings {
    private DbStrings() {}

    public static String toDb(XType t, Object v) {
        StringBuilder b = new StringBuilder();
        append(b, t, v);
        return b.toString();
    }

    /** Appends the DB string of {@code v} to {@code b}. */
    public static void append(StringBuilder b, XType t, Object v) {
        switch (t) {
            case XType.Prim p -> {
                switch (p.kind()) {
                    case STRING, VOID -> b.append(v == null ? "" : (String) v);
                    case INT -> b.append(((Long) v).longValue());
                    case FLOAT -> b.append(CFloat.g((Double) v, 18));
                    case BOOL -> b.append(((Boolean) v) ? "true" : "false");
                    case DATETIME -> b.append(v.toString());
                }
            }
            case XType.EnumType e -> b.append((String) v);
            case XType.RefType r -> b.append((String) v);
            case XType.SetType s -> {
                b.append('(');
                boolean first = true;
                for (Object x : (List<?>) v) {
                    if (!first) b.append(' ');
                    first = false;
                    quote(b, toDb(s.element(), x));
                }
                b.append(')');
            }
            case XType.MapType m -> {
                b.append('(');
                boolean first = true;
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    if (!first) b.append(' ');
                    first = false;
                    b.append('(');
                    quote(b, toDb(m.key(), e.getKey()));
                    b.append(' ');
                    quote(b, toDb(m.value(), e.getValue()));
                    b.append(')');
                }
                b.append(')');
            }
            case XType.OptionType o -> {
                // Xapi stores options of records only in non-DB types; store as a 0/1-element set
                b.append('(');
                if (v != null) quote(b, toDb(o.inner(), v));
                b.append(')');
            }
            case XType.RecordType r -> throw new IllegalArgumentException("records are not stored in the database");
        }
    }

    private static void quote(StringBuilder b, String s) {
        b.append('\'');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' || c == '\'') b.append('\\');
            b.append(c);
        }
        b.append('\'');
    }

    /**
     * Parses a DB string into the Java value of {@code t}.
     *
     * @throws IllegalArgumentException with the offending text when it does not parse
     */
    public static Object fromDb(XType t, String s) {
        try {
            return switch (t) {
                case XType.Prim p ->
                    switch (p.kind()) {
                        case STRING, VOID -> s;
                        case INT -> Long.parseLong(s.trim());
                        case FLOAT -> CFloat.parse(s);
                        case BOOL ->
                            switch (s.trim()) {
                                case "true" -> Boolean.TRUE;
                                case "false" -> Boolean.FALSE;
                                default -> throw new IllegalArgumentException("not a bool");
                            };
                        case DATETIME -> DateTime.parse(s);
                    };
                case XType.EnumType e -> s;
                case XType.RefType r -> s;
                case XType.SetType st -> {
                    List<Object> out = new ArrayList<>();
                    for (Object x : SExpr.parseList(s)) out.add(fromDb(st.element(), atom(x)));
                    yield Collections.unmodifiableList(out);
                }
                case XType.MapType m -> {
                    Map<Object, Object> out = new LinkedHashMap<>();
                    for (Object x : SExpr.parseList(s)) {
                        if (!(x instanceof List<?> pair) || pair.size() != 2)
                            throw new IllegalArgumentException("map entry is not a pair");
                        out.put(fromDb(m.key(), atom(pair.get(0))), fromDb(m.value(), atom(pair.get(1))));
                    }
                    yield Collections.unmodifiableMap(out);
                }
                case XType.OptionType o -> {
                    List<Object> l = SExpr.parseList(s);
                    yield l.isEmpty() ? null : fromDb(o.inner(), atom(l.get(0)));
                }
                case XType.RecordType r -> throw new IllegalArgumentException("records are not stored in the database");
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad " + t + " value '" + s + "': " + e.getMessage(), e);
        }
    }

    private static String atom(Object x) {
        if (x instanceof String s) return s;
        throw new IllegalArgumentException("expected a quoted string");
    }
}
