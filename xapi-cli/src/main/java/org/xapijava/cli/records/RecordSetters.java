package org.xapijava.cli.records;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.model.Datamodel;
import org.xapijava.model.EnumDef;
import org.xapijava.model.FieldDef;
import org.xapijava.model.MessageDef;
import org.xapijava.model.rpc.Marshal;
import org.xapijava.model.types.XType;

/**
 * The setters behind {@code *-param-set/-add/-remove/-clear}: the XenAPI message of each writable field (the
 * datamodel's {@code set_<field>}, {@code add_to_}/{@code remove_from_}, {@code add_}/{@code remove_}, or the one the
 * record table names), with values parsed from text by the message's parameter types. A table setter named
 * {@code set_...} on a set or map writes the whole value: adding and removing read, change and write it.
 */
public final class RecordSetters {
    private final ObjectRecord o;

    public RecordSetters(ObjectRecord o) {
        this.o = o;
    }

    /** Sets a scalar field from text (a scalar shown from a set takes comma-separated words). */
    public void set(FieldSpec f, String text) {
        MessageDef m = f.setter() != null ? named(f) : byPrefix(f, "set_");
        XType t = last(m);
        Object v = t instanceof XType.SetType st && !(st.element() instanceof XType.SetType)
                ? words(f, st.element(), text)
                : value(f, t, text);
        call(m, List.of(Marshal.toRpc(t, v)));
    }

    /** Adds to a set field ({@code add_to_set}). */
    public void addToSet(FieldSpec f, String member) {
        if (wholeValue(f)) {
            List<Object> now = new ArrayList<>(current(f));
            XType.SetType st = (XType.SetType) last(named(f));
            Object v = value(f, st.element(), member);
            if (!now.contains(v)) now.add(v);
            call(named(f), List.of(Marshal.toRpc(st, now)));
            return;
        }
        MessageDef m = f.setter() != null ? named(f) : byPrefix(f, "add_");
        call(m, List.of(Marshal.toRpc(last(m), value(f, last(m), member))));
    }

    /** Removes from a set field ({@code remove_from_set}); {@code member} is as the field shows it. */
    public void removeFromSet(FieldSpec f, String member) {
        if (wholeValue(f)) {
            XType.SetType st = (XType.SetType) last(named(f));
            List<Object> now = new ArrayList<>(current(f));
            now.remove(value(f, st.element(), member));
            call(named(f), List.of(Marshal.toRpc(st, now)));
            return;
        }
        MessageDef m = f.setter() != null ? counterpart(f) : byPrefix(f, "remove_");
        call(m, List.of(Marshal.toRpc(last(m), value(f, last(m), member))));
    }

    /** Adds a key to a map field ({@code add_to_map}). */
    public void addToMap(FieldSpec f, String key, String value) {
        checkKey(f, key);
        if (wholeValue(f)) {
            Map<String, String> now = currentMap(f);
            now.put(key, value);
            setMap(f, new ArrayList<>(now.entrySet()));
            return;
        }
        MessageDef m = f.setter() != null ? named(f) : byPrefix(f, "add_to_");
        int n = m.callParams().size();
        XType kt = m.callParams().get(n - 2).type();
        XType vt = m.callParams().get(n - 1).type();
        call(m, List.of(Marshal.toRpc(kt, value(f, kt, key)), Marshal.toRpc(vt, value(f, vt, value))));
    }

    /** Removes a key from a map field ({@code remove_from_map}). */
    public void removeFromMap(FieldSpec f, String key) {
        if (wholeValue(f)) {
            Map<String, String> now = currentMap(f);
            now.remove(key);
            setMap(f, new ArrayList<>(now.entrySet()));
            return;
        }
        MessageDef m = f.setter() != null ? counterpart(f) : byPrefix(f, "remove_from_");
        call(m, List.of(Marshal.toRpc(last(m), value(f, last(m), key))));
    }

    /** Changes one existing key of a map ({@code set_in_map}: the table names the message). */
    public void setInMap(FieldSpec f, String key, String value) {
        MessageDef m = named(f);
        int n = m.callParams().size();
        XType kt = m.callParams().get(n - 2).type();
        XType vt = m.callParams().get(n - 1).type();
        call(m, List.of(Marshal.toRpc(kt, value(f, kt, key)), Marshal.toRpc(vt, value(f, vt, value))));
    }

    /** Replaces a whole map ({@code set_map}, and param-clear of maps emptied with {@code set_<field>}). */
    public void setMap(FieldSpec f, List<Map.Entry<String, String>> entries) {
        for (Map.Entry<String, String> e : entries) checkKey(f, e.getKey());
        MessageDef m = f.setter() != null && f.setter().contains(".set_") ? named(f) : byPrefix(f, "set_");
        XType.MapType t = (XType.MapType) last(m);
        Map<Object, Object> map = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : entries) {
            map.put(value(f, t.key(), e.getKey()), value(f, t.value(), e.getValue()));
        }
        call(m, List.of(Marshal.toRpc(t, map)));
    }

    private void checkKey(FieldSpec f, String key) {
        if (!f.keys().isEmpty() && !f.keys().contains(key)) {
            throw new CliFailure("Failed to add parameter '" + key + "': expecting "
                    + String.join(",", f.keys().stream().map(k -> "'" + k + "'").toList()));
        }
    }

    /** Whether the table's setter writes the whole set or map. */
    private static boolean wholeValue(FieldSpec f) {
        return f.setter() != null
                && f.setter().substring(f.setter().indexOf('.') + 1).startsWith("set_")
                && !f.has(FieldSpec.Flag.SET_IN_MAP);
    }

    private List<?> current(FieldSpec f) {
        Object v = o.rawValue(f);
        return v instanceof List<?> l ? l : List.of();
    }

    private Map<String, String> currentMap(FieldSpec f) {
        Map<String, String> out = new LinkedHashMap<>();
        if (o.rawValue(f) instanceof Map<?, ?> m) m.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
        return out;
    }

    private void call(MessageDef m, List<Object> rest) {
        List<Object> args = new ArrayList<>();
        args.add(o.resolver().api().sessionRef());
        args.add(o.ref());
        args.addAll(rest);
        o.resolver().api().transport().call(m.wireName(), args);
    }

    private static XType last(MessageDef m) {
        return m.callParams().get(m.callParams().size() - 1).type();
    }

    private MessageDef named(FieldSpec f) {
        MessageDef m = Datamodel.get().message(f.setter());
        if (m == null) throw new IllegalStateException("no message " + f.setter() + " for " + f.name());
        return m;
    }

    /** The remove message matching a table's add message ({@code add_to_x} / {@code add_x}). */
    private MessageDef counterpart(FieldSpec f) {
        String s = f.setter();
        int dot = s.indexOf('.');
        String name = s.substring(dot + 1);
        String remove = name.startsWith("add_to_")
                ? "remove_from_" + name.substring(7)
                : name.startsWith("add_") ? "remove_" + name.substring(4) : null;
        MessageDef m = remove == null ? null : Datamodel.get().message(s.substring(0, dot + 1) + remove);
        if (m == null) throw new IllegalStateException("no remove message for " + f.name() + " (" + s + ")");
        return m;
    }

    /** {@code <Class>.<prefix><field>} of the field the record shows directly. */
    private MessageDef byPrefix(FieldSpec f, String prefix) {
        FieldDef d = o.directField(f);
        if (d == null) throw new IllegalStateException(o.spec().name() + "." + f.name() + " has no setter");
        MessageDef m = Datamodel.get().message(o.spec().apiClass() + "." + prefix + d.name());
        if (m == null) throw new IllegalStateException("no message " + prefix + d.name() + " for " + f.name());
        return m;
    }

    private List<Object> words(FieldSpec f, XType element, String text) {
        List<Object> out = new ArrayList<>();
        if (text.isEmpty()) return out;
        for (String w : text.split(",", -1)) out.add(value(f, element, w));
        return out;
    }

    /** Text as a Java value of type {@code t}. */
    private Object value(FieldSpec f, XType t, String text) {
        return switch (t) {
            case XType.Prim p ->
                switch (p.kind()) {
                    case INT -> {
                        if (f.has(FieldSpec.Flag.SIZE)) yield Sizes.parse(f.name(), text);
                        try {
                            yield Long.parseLong(text.strip());
                        } catch (NumberFormatException e) {
                            throw new CliFailure("Failed to parse parameter '" + f.name() + "': expecting an integer");
                        }
                    }
                    case FLOAT -> {
                        try {
                            yield Double.parseDouble(text.strip());
                        } catch (NumberFormatException e) {
                            throw new CliFailure("Parameter " + f.name() + " must be a floating-point number");
                        }
                    }
                    case BOOL ->
                        switch (text) {
                            case "true" -> true;
                            case "false" -> false;
                            default ->
                                throw new CliFailure("Failed to parse parameter '" + f.name()
                                        + "': expecting a boolean (true or false)");
                        };
                    default -> text;
                };
            case XType.EnumType e -> enumValue(f, e, text);
            case XType.RefType r -> {
                if (text.isEmpty()) yield Values.NULL_REF;
                if (!text.startsWith("OpaqueRef:") || f.has(FieldSpec.Flag.BY_UUID)) {
                    yield o.resolver()
                            .api()
                            .transport()
                            .call(
                                    r.cls() + ".get_by_uuid",
                                    List.of(o.resolver().api().sessionRef(), text));
                }
                yield text;
            }
            default -> text;
        };
    }

    /** An enum value given as the CLI spells it or as on the wire, in any case. */
    private static String enumValue(FieldSpec f, XType.EnumType e, String text) {
        if (f.has(FieldSpec.Flag.CLI_ENUM)) {
            java.util.Optional<String> w = RecordTables.get().enumWireValue(e.name(), text);
            if (w.isPresent()) return w.get();
        }
        EnumDef d = Datamodel.get().enumDef(e.name());
        if (d != null) {
            for (String v : d.values()) {
                if (v.equalsIgnoreCase(text)) return v;
            }
        }
        return text;
    }
}
