package org.xapijava.cli.records;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Xapi's {@code filter_records_on_fields}: {@code field=value} keeps the objects showing exactly that value,
 * {@code map:key=value} (or the legacy {@code map-key=value}) those whose map has it, {@code set:contains=member}
 * those whose set holds it. The kind of a filter is told from the first record; no records, no filtering.
 */
public final class Filters {
    private Filters() {}

    public static List<ObjectRecord> apply(List<ObjectRecord> records, List<Map.Entry<String, String>> filters) {
        List<ObjectRecord> out = records;
        for (Map.Entry<String, String> f : filters) out = apply(out, f.getKey(), f.getValue());
        return out;
    }

    /** The kind of a filter or setting key: a field by its name, or a map or set field with a key after it. */
    public sealed interface Target {
        FieldSpec field();
    }

    public record Normal(FieldSpec field) implements Target {}

    public record InMap(FieldSpec field, String key) implements Target {}

    public record InSet(FieldSpec field, String key) implements Target {}

    /** Xapi's {@code get_field_type}. */
    public static Target target(RecordSpec spec, String k) {
        if (spec.field(k).isPresent()) return new Normal(spec.field(k).get());
        int colon = k.indexOf(':');
        if (colon >= 0) {
            String name = k.substring(0, colon);
            FieldSpec f = spec.field(name).orElseThrow(() -> new CliFailure("Unknown field '" + k + "'"));
            String key = k.substring(colon + 1);
            return switch (f.shape()) {
                case SET -> new InSet(f, key);
                case MAP -> new InMap(f, key);
                case SCALAR -> throw new CliFailure("Field '" + f.name() + "' is not a set or map");
            };
        }
        for (FieldSpec.Shape shape : List.of(FieldSpec.Shape.MAP, FieldSpec.Shape.SET)) {
            List<FieldSpec> candidates = new ArrayList<>();
            for (FieldSpec f : spec.fields()) {
                if (f.shape() == shape && k.startsWith(f.name() + "-")) candidates.add(f);
            }
            candidates.sort(
                    Comparator.comparingInt((FieldSpec f) -> f.name().length()).reversed());
            if (!candidates.isEmpty()) {
                FieldSpec f = candidates.get(0);
                String key = k.substring(f.name().length() + 1);
                return shape == FieldSpec.Shape.MAP ? new InMap(f, key) : new InSet(f, key);
            }
        }
        throw new CliFailure("Unknown field '" + k + "'");
    }

    private static List<ObjectRecord> apply(List<ObjectRecord> records, String k, String v) {
        if (records.isEmpty()) return records;
        Target t = target(records.get(0).spec(), k);
        boolean ci = t.field().has(FieldSpec.Flag.CASE_INSENSITIVE);
        List<ObjectRecord> out = new ArrayList<>();
        switch (t) {
            case Normal n -> {
                for (ObjectRecord o : records) {
                    String value = o.get(n.field());
                    if (ci ? value.equalsIgnoreCase(v) : value.equals(v)) out.add(o);
                }
            }
            case InMap m -> {
                String key = ci ? m.key().toLowerCase(Locale.ROOT) : m.key();
                for (ObjectRecord o : records) {
                    for (Map.Entry<String, String> e : safeEntries(o, m.field())) {
                        String ek = ci ? e.getKey().toLowerCase(Locale.ROOT) : e.getKey();
                        if (ek.equals(key)) {
                            if (ci
                                    ? e.getValue().equalsIgnoreCase(v)
                                    : e.getValue().equals(v)) out.add(o);
                            break;
                        }
                    }
                }
            }
            case InSet s -> {
                if (!s.key().equals("contains")) {
                    throw new CliFailure("Invalid syntax for set filtering (should be set-param:contains=key)");
                }
                for (ObjectRecord o : records) {
                    for (String member : safeMembers(o, s.field())) {
                        if (ci ? member.equalsIgnoreCase(v) : member.equals(v)) {
                            out.add(o);
                            break;
                        }
                    }
                }
            }
        }
        return out;
    }

    /** A map's entries; a failure to read them matches nothing (as Xapi's filter). */
    private static List<Map.Entry<String, String>> safeEntries(ObjectRecord o, FieldSpec f) {
        try {
            return o.entries(f);
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    private static List<String> safeMembers(ObjectRecord o, FieldSpec f) {
        try {
            return o.members(f);
        } catch (RuntimeException e) {
            return List.of();
        }
    }
}
