package org.xapijava.cli.records;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.FieldDef;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.XType;

/**
 * One object seen through its CLI record (Xapi's {@code records.ml} record with its getters): field values as text,
 * sets and maps as members, computed fields, and the path to the setters ({@link RecordSetters}). Not thread-safe;
 * lives for one command.
 */
public final class ObjectRecord {
    /** What {@code safe_get_field} shows for a dangling reference. */
    public static final String INVALID_REFERENCE = "<invalid reference>";

    private final RecordSpec spec;
    private final String ref;
    private final Map<String, Object> record;
    private final Resolver resolver;

    public ObjectRecord(RecordSpec spec, String ref, Map<String, Object> record, Resolver resolver) {
        this.spec = spec;
        this.ref = ref;
        this.record = record;
        this.resolver = resolver;
    }

    public RecordSpec spec() {
        return spec;
    }

    public String ref() {
        return ref;
    }

    /** The object's datamodel record (unmarshalled). */
    public Map<String, Object> raw() {
        return record;
    }

    public Resolver resolver() {
        return resolver;
    }

    /** The field of that exact name, or {@link MissingField}. */
    public FieldSpec field(String name) {
        return spec.field(name).orElseThrow(() -> new MissingField(name));
    }

    /** {@code safe_get_field}: the field as text, a dangling reference as {@value #INVALID_REFERENCE}. */
    public String get(FieldSpec f) {
        try {
            if (f.isComputed()) return Computed.text(f.computed(), this);
            Source s = source(f);
            if (s.type == null) return absent(f);
            return Values.render(s.type, s.value, resolver, style(f));
        } catch (ApiError e) {
            if (e.code().equals("HANDLE_INVALID")) return INVALID_REFERENCE;
            throw e;
        }
    }

    /** What a field reached through a missing object shows: Xapi's defaults of the VM metrics, else not in database. */
    private String absent(FieldSpec f) {
        if (spec.name().equals("vm")) {
            switch (f.name()) {
                case "hvm", "nomigrate", "nested-virt" -> {
                    return "false";
                }
                case "start-time", "install-time" -> {
                    return "<unknown time>";
                }
                default -> {}
            }
        }
        return Values.NOT_IN_DATABASE;
    }

    static Values.Style style(FieldSpec f) {
        return new Values.Style(
                f.has(FieldSpec.Flag.COMMA), f.has(FieldSpec.Flag.LOWER), f.has(FieldSpec.Flag.CLI_ENUM));
    }

    /** The members of a set field ({@code get_set}). */
    public List<String> members(FieldSpec f) {
        if (f.isComputed()) return Computed.members(f.computed(), this);
        Source s = source(f);
        if (!(s.type instanceof XType.SetType st)) return List.of();
        return Values.members(st, s.value, resolver, style(f));
    }

    /** The entries of a map field ({@code get_map}). */
    public List<Map.Entry<String, String>> entries(FieldSpec f) {
        if (f.isComputed()) return Computed.entries(f.computed(), this);
        Source s = source(f);
        if (!(s.type instanceof XType.MapType mt)) return List.of();
        return Values.entries(mt, s.value, resolver, style(f));
    }

    /** The raw value of a field shown directly (a one-step path), unrendered; null otherwise. */
    public Object rawValue(FieldSpec f) {
        FieldDef d = directField(f);
        return d == null ? null : record.get(d.name());
    }

    /** A value and its datamodel type; both null when a followed reference names nothing. */
    private record Source(XType type, Object value) {
        static final Source NONE = new Source(null, null);
    }

    private Source source(FieldSpec f) {
        Source s = eval(Datamodel.get().cls(spec.apiClass()), record, f.path(), 0);
        if (f.has(FieldSpec.Flag.VALUES) && s.type instanceof XType.MapType m && s.value instanceof Map<?, ?> map) {
            return new Source(new XType.SetType(m.value()), new ArrayList<>(map.values()));
        }
        return s;
    }

    /** Step {@code i} of a path from a record of {@code cls}: a field, or a reference (or set of them) to follow. */
    private Source eval(ClassDef cls, Map<String, Object> rec, List<String> path, int i) {
        FieldDef fd = cls.field(path.get(i));
        if (fd == null) {
            throw new IllegalStateException(spec.name() + ": no field " + path.get(i) + " in " + cls.name());
        }
        Object v = rec.get(fd.name());
        if (i == path.size() - 1) return new Source(fd.type(), v);
        if (fd.type() instanceof XType.RefType rt) return follow(rt.cls(), (String) v, path, i + 1);
        if (fd.type() instanceof XType.SetType st && st.element() instanceof XType.RefType rt) {
            List<Object> out = new ArrayList<>();
            XType element = XType.STRING;
            if (v instanceof List<?> refs) {
                for (Object ref : refs) {
                    Source s = follow(rt.cls(), (String) ref, path, i + 1);
                    if (s.type == null) continue;
                    if (s.type instanceof XType.SetType inner && s.value instanceof List<?> l) {
                        element = inner.element();
                        out.addAll(l);
                    } else {
                        element = s.type;
                        out.add(s.value);
                    }
                }
            }
            return new Source(new XType.SetType(element), out);
        }
        throw new IllegalStateException(spec.name() + ": " + fd.name() + " is no reference");
    }

    private Source follow(String cls, String ref, List<String> path, int i) {
        if (ref == null || ref.isEmpty() || ref.equals(Values.NULL_REF)) return Source.NONE;
        if (i == path.size() - 1 && path.get(i).equals("uuid")) {
            String u = resolver.uuidOf(ref);
            return u == null ? Source.NONE : new Source(XType.STRING, u);
        }
        if (i == path.size() - 1 && path.get(i).equals("name_label")) {
            String n = resolver.nameOf(ref);
            if (n != null) return new Source(XType.STRING, n);
        }
        Map<String, Object> rec = resolver.record(cls, ref);
        if (rec == null) return Source.NONE;
        return eval(Datamodel.get().cls(cls), rec, path, i);
    }

    /** The datamodel field a non-computed field shows directly (one-step path), else null. */
    public FieldDef directField(FieldSpec f) {
        if (f.isComputed() || f.path().size() != 1) return null;
        return Datamodel.get().cls(spec.apiClass()).field(f.path().get(0));
    }

    /** The rows of {@code *-list} / {@code *-param-list}: label and value of each field given. */
    public static List<Map.Entry<String, String>> labelled(ObjectRecord o, List<FieldSpec> fields, boolean lists) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (FieldSpec f : fields) {
            String value = lists && f.has(FieldSpec.Flag.EXPENSIVE) ? "<expensive field>" : o.get(f);
            out.add(Map.entry(label(f), value));
        }
        return out;
    }

    /** A field's name with its access label ({@code print_field}). */
    public static String label(FieldSpec f) {
        String access = switch (f.shape()) {
            case SET -> f.writable() ? " (SRW)" : " (SRO)";
            case MAP -> f.writable() ? " (MRW)" : " (MRO)";
            case SCALAR -> f.writable() ? " ( RW)" : " ( RO)";
        };
        return f.name() + access + (f.has(FieldSpec.Flag.DEPRECATED) ? " [DEPRECATED]" : "");
    }
}
