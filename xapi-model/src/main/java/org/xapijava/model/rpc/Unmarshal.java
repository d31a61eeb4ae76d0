package org.xapijava.model.rpc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.EnumDef;
import org.xapijava.model.FieldDef;
import org.xapijava.model.Qualifier;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.CFloat;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.XType;

/**
 * RPC value → Java value of a XenAPI type (see {@link XType}), with Xapi's acceptance rules and error texts.
 * Xapi's generated unmarshallers raise OCaml exceptions that the dispatcher reports as
 * {@code INTERNAL_ERROR [Printexc.to_string exn]}; the same texts are produced here, e.g.
 * {@code INTERNAL_ERROR ["Failure(\"Expected bool, got 'S(true)'\")"]}.
 *
 * <ul>
 *   <li>int: {@link Long}/{@link Integer}, or a string in OCaml {@code Int64.of_string} syntax;</li>
 *   <li>float: {@link Double}, an int, or a string ({@code float_of_string});</li>
 *   <li>bool: only {@link Boolean} (an untyped string is an error);</li>
 *   <li>string and refs: only strings (any text is a ref);</li>
 *   <li>enums: strings matched case-insensitively to the datamodel spelling, except {@code bond_mode} and
 *       {@code event_operation}, which Xapi matches exactly;</li>
 *   <li>datetime: {@link DateTime} or a string;</li>
 *   <li>sets from arrays; maps from structs, keys converted by the key type (int keys parsed, enum keys
 *       canonicalised);</li>
 *   <li>records from structs: absent fields take the datamodel default (ref sets default to empty), an absent
 *       field without default is an error; {@code option} fields are None when absent;</li>
 *   <li>option outside records: {@code null} or {@code []} is None, {@code [x]} is Some x.</li>
 * </ul>
 * Stateless and thread-safe. Results are fresh mutable collections (maps are {@link LinkedHashMap}s).
 */
public final class Unmarshal {
    private Unmarshal() {}

    /** Converts {@code v} to type {@code t} using the datamodel of this build. */
    public static Object fromRpc(XType t, Object v) {
        return fromRpc(Datamodel.get(), t, v);
    }

    /**
     * Converts {@code v} to type {@code t}.
     *
     * @throws ApiError {@code INTERNAL_ERROR} with Xapi's text when {@code v} does not fit {@code t}
     */
    public static Object fromRpc(Datamodel dm, XType t, Object v) {
        return switch (t) {
            case XType.Prim p ->
                switch (p.kind()) {
                    case STRING -> string(v);
                    case INT -> int64(v);
                    case FLOAT -> float64(v);
                    case BOOL -> {
                        if (v instanceof Boolean b) yield b;
                        throw failure("Expected bool, got '" + RpcValues.debugString(v) + "'");
                    }
                    case DATETIME -> datetime(v);
                    case VOID -> null;
                };
            case XType.EnumType e -> enumValue(dm, e.name(), v);
            case XType.RefType r -> string(v);
            case XType.SetType s -> {
                if (!(v instanceof List<?> l)) throw expecting("Rpc.Enum", v);
                List<Object> out = new ArrayList<>(l.size());
                for (Object x : l) out.add(fromRpc(dm, s.element(), x));
                yield out;
            }
            case XType.MapType m -> map(dm, m, v);
            case XType.RecordType r -> {
                if (r.cls().equals(XType.ANY_CLASS)) {
                    // An event snapshot: its class is only known from the event; keep the struct as it is.
                    if (v instanceof Map<?, ?> m) yield new LinkedHashMap<Object, Object>(m);
                    throw failure("Expected Dictionary");
                }
                yield record(dm, classOf(dm, r.cls()), v);
            }
            case XType.OptionType o -> {
                if (v == null) yield null;
                if (v instanceof List<?> l && l.size() <= 1)
                    yield l.isEmpty() ? null : fromRpc(dm, o.inner(), l.get(0));
                throw expecting("Rpc.Enum", v);
            }
        };
    }

    /**
     * The argument of a {@code <Class>.create}: a struct holding the constructor fields (qualifier RW or
     * RO/constructor) of {@code cls}; other members are ignored. Absent fields take the datamodel default; one
     * without default is {@code INTERNAL_ERROR ["Server_helpers.Dispatcher_FieldNotFound(\"<field>\")"]}.
     *
     * @return the constructor fields in datamodel order, keyed by wire name
     */
    public static Map<String, Object> constructorRecord(Datamodel dm, ClassDef cls, Object v) {
        if (!(v instanceof Map<?, ?> m)) throw failure("bad __structure");
        Map<String, Object> out = new LinkedHashMap<>();
        for (FieldDef f : cls.wireFields()) {
            if (f.qualifier() != Qualifier.RW && f.qualifier() != Qualifier.STATIC_RO) continue;
            Object x;
            if (m.containsKey(f.name())) {
                x = fromRpc(dm, f.type(), m.get(f.name()));
            } else if (f.hasDefault()) {
                x = f.defaultValue();
            } else {
                throw ApiError.internal(
                        "Server_helpers.Dispatcher_FieldNotFound(" + RpcValues.ocamlQuoted(f.name()) + ")");
            }
            out.put(f.name(), x);
        }
        return out;
    }

    public static Map<String, Object> constructorRecord(ClassDef cls, Object v) {
        return constructorRecord(Datamodel.get(), cls, v);
    }

    /** A full record of {@code cls} (all wire fields), as Xapi's generated {@code <cls>_t_of_rpc}. */
    public static Map<String, Object> record(Datamodel dm, ClassDef cls, Object v) {
        if (!(v instanceof Map<?, ?> m)) throw failure("Expected Dictionary");
        Map<String, Object> out = new LinkedHashMap<>();
        for (FieldDef f : cls.wireFields()) {
            boolean present = m.containsKey(f.name());
            Object x;
            if (f.type() instanceof XType.OptionType o) {
                x = present ? fromRpc(dm, o.inner(), m.get(f.name())) : null;
            } else if (present) {
                x = fromRpc(dm, f.type(), m.get(f.name()));
            } else if (f.type() instanceof XType.SetType s && s.element() instanceof XType.RefType) {
                x = new ArrayList<>(0);
            } else if (f.hasDefault()) {
                x = f.defaultValue();
            } else {
                throw failure("Field " + f.name() + " not present in rpc");
            }
            out.put(f.name(), x);
        }
        return out;
    }

    private static ClassDef classOf(Datamodel dm, String name) {
        ClassDef c = dm.cls(name);
        if (c == null) throw new IllegalArgumentException("unknown class " + name);
        return c;
    }

    private static String string(Object v) {
        if (v instanceof String s) return s;
        throw failure("Expected string, got '" + RpcValues.debugString(v) + "'");
    }

    private static Long int64(Object v) {
        return switch (v) {
            case Long l -> l;
            case Integer i -> (long) i;
            case String s -> {
                try {
                    yield RpcValues.parseOcamlInt64(s);
                } catch (NumberFormatException e) {
                    throw failure("Int64.of_string");
                }
            }
            case null, default -> throw failure("Expected int64, got '" + RpcValues.debugString(v) + "'");
        };
    }

    private static Double float64(Object v) {
        return switch (v) {
            case Double d -> d;
            case Long l -> (double) l;
            case Integer i -> (double) i;
            case String s -> {
                try {
                    yield CFloat.parse(s);
                } catch (NumberFormatException e) {
                    throw failure("float_of_string");
                }
            }
            case null, default -> throw failure("Expected float, got '" + RpcValues.debugString(v) + "'");
        };
    }

    private static DateTime datetime(Object v) {
        if (v instanceof DateTime d) return d;
        if (v instanceof String s) {
            try {
                return DateTime.parse(s);
            } catch (IllegalArgumentException e) {
                // Xapi: Invalid_argument raised by Clock.Date.of_iso8601, mapped by ExnHelper.
                throw ApiError.internal("Invalid argument: Clock__Date.of_iso8601: " + s);
            }
        }
        throw failure("Date.t_of_rpc");
    }

    private static String enumValue(Datamodel dm, String enumName, Object v) {
        // Xapi overrides the derived unmarshallers of these two enums with exact, case-sensitive matches.
        if (enumName.equals("bond_mode") || enumName.equals("event_operation")) {
            EnumDef def = dm.enumDef(enumName);
            if (v instanceof String s && def != null && def.contains(s)) return s;
            throw failure(enumName.equals("bond_mode") ? "Unmarshalling error in bond-mode" : "Unmarshalling error");
        }
        EnumDef def = dm.enumDef(enumName);
        if (def == null) throw new IllegalArgumentException("unknown enum " + enumName);
        if (v instanceof String s) {
            String c = def.canonical(s);
            if (c != null) return c;
        }
        throw failure("Unknown tag/contents");
    }

    private static Map<Object, Object> map(Datamodel dm, XType.MapType t, Object v) {
        XType k = t.key();
        boolean overridden = k.equals(XType.INT)
                || (k instanceof XType.EnumType e && e.name().equals("vm_operations"));
        if (!(v instanceof Map<?, ?> m)) {
            if (overridden) throw failure("Unmarshalling error");
            throw expecting("Rpc.Dict", v);
        }
        Map<Object, Object> out = new LinkedHashMap<>(Math.max(4, m.size() * 4 / 3 + 1));
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String key = (String) e.getKey();
            Object jk;
            if (k.equals(XType.INT)) {
                try {
                    jk = RpcValues.parseOcamlInt64(key);
                } catch (NumberFormatException ex) {
                    throw failure("Int64.of_string");
                }
            } else {
                jk = fromRpc(dm, k, key);
            }
            out.put(jk, fromRpc(dm, t.value(), e.getValue()));
        }
        return out;
    }

    private static ApiError expecting(String what, Object v) {
        return failure("Expecting " + what + ", but found '" + RpcValues.debugString(v) + "'");
    }

    /** {@code INTERNAL_ERROR} as Xapi reports an OCaml {@code Failure msg}. */
    private static ApiError failure(String msg) {
        return ApiError.internal(RpcValues.ocamlFailure(msg));
    }
}
