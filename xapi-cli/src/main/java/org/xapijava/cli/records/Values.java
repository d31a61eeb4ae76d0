package org.xapijava.cli.records;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.XType;

/** Datamodel values as {@code records.ml} and {@code record_util.ml} print them. */
public final class Values {
    /** What a reference to no object shows ({@code nid}). */
    public static final String NOT_IN_DATABASE = "<not in database>";

    public static final String NULL_REF = "OpaqueRef:NULL";

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HH:mm:ss'Z'", Locale.ROOT);

    private Values() {}

    /**
     * How a field's values are spelled.
     *
     * @param comma   sets joined with {@code ", "}
     * @param lower   enums in lower case
     * @param cliEnum enums as {@code record_util.ml} spells them ({@link RecordTables#enumText})
     */
    public record Style(boolean comma, boolean lower, boolean cliEnum) {
        public static final Style PLAIN = new Style(false, false, false);
    }

    /** One value of type {@code t}: references as their uuid, sets and maps joined, floats with 3 decimals. */
    public static String render(XType t, Object v, Resolver r, Style st) {
        if (v == null) return "";
        return switch (t) {
            case XType.Prim p ->
                switch (p.kind()) {
                    case FLOAT -> String.format(Locale.ROOT, "%.3f", ((Number) v).doubleValue());
                    case DATETIME -> date(v);
                    default -> String.valueOf(v);
                };
            case XType.EnumType e -> enumText(e, String.valueOf(v), st);
            case XType.RefType ref -> uuid(r, (String) v);
            case XType.SetType s -> String.join(st.comma() ? ", " : "; ", members(s, v, r, st));
            case XType.MapType m -> {
                List<String> kv = new ArrayList<>();
                for (Map.Entry<String, String> e : entries(m, v, r, st)) kv.add(e.getKey() + ": " + e.getValue());
                yield String.join("; ", kv);
            }
            case XType.OptionType o -> render(o.inner(), v, r, st);
            case XType.RecordType rec -> String.valueOf(v);
        };
    }

    /** The members of a set, each rendered. */
    public static List<String> members(XType.SetType s, Object v, Resolver r, Style st) {
        List<String> out = new ArrayList<>();
        if (v instanceof Iterable<?> it) {
            for (Object o : it) out.add(render(s.element(), o, r, st));
        }
        return out;
    }

    /** The entries of a map, keys and values rendered. */
    public static List<Map.Entry<String, String>> entries(XType.MapType m, Object v, Resolver r, Style st) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        if (v instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.add(Map.entry(render(m.key(), e.getKey(), r, st), render(m.value(), e.getValue(), r, st)));
            }
        }
        return out;
    }

    private static String enumText(XType.EnumType e, String wire, Style st) {
        if (st.cliEnum()) return RecordTables.get().enumText(e.name(), wire);
        return st.lower() ? wire.toLowerCase(Locale.ROOT) : wire;
    }

    /** {@code get_uuid_from_ref}: the uuid, or {@value #NOT_IN_DATABASE}. */
    public static String uuid(Resolver r, String ref) {
        if (ref == null || ref.equals(NULL_REF) || ref.isEmpty()) return NOT_IN_DATABASE;
        String u = r.uuidOf(ref);
        return u == null ? NOT_IN_DATABASE : u;
    }

    /** A date as {@code Date.to_rfc3339} of the CLI: {@code 20250319T04:16:24Z}. */
    public static String date(Object v) {
        DateTime d = v instanceof DateTime dt ? dt : DateTime.parse(String.valueOf(v));
        return DATE.format(d.toInstant().atOffset(ZoneOffset.UTC));
    }
}
