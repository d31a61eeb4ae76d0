package org.xapijava.xenopsd.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.xapijava.model.rpc.RpcValues;

/**
 * Conversions between Java values and the untyped rpc value tree of {@code org.xapijava.model.rpc} (String, Long,
 * Double, Boolean, List, LinkedHashMap, {@code null}), following the rules of ocaml-rpc's {@code Rpcmarshal}
 * with types derived by {@code ppx_deriving_rpcty}, which is how xenopsd's interface types travel:
 * <ul>
 *   <li>{@code int}, {@code int32}, {@code int64}: {@code Int} (a {@link Long}); read back from a Long or from a
 *       String (XML-RPC carries them as untyped {@code <value>42</value>}, which parses as a string).</li>
 *   <li>{@code float}: {@code Float}; read from a Double, a Long or a String.</li>
 *   <li>{@code unit}: {@code Null}.</li>
 *   <li>{@code (string * t) list}: a {@code Dict}; any other list: an {@code Enum}.</li>
 *   <li>tuples: an {@code Enum} of their items.</li>
 *   <li>{@code t option} outside a record: {@code Enum []} or {@code Enum [x]}; as a record field: the member
 *       is left out for {@code None} and holds {@code x} itself for {@code Some x}.</li>
 *   <li>variants: {@code String "Tag"} without arguments, {@code Enum [String "Tag"; contents]} with; the tag is
 *       matched case-insensitively when read.</li>
 *   <li>records: a {@code Dict}; {@code Rpcmarshal.marshal} emits the members in reverse declaration order
 *       ({@link Struct} does the same); member names are matched case-insensitively when read; a member with a
 *       declared default that is missing or does not decode takes the default.</li>
 * </ul>
 * Decoding failures raise {@link RpcDecodeException}. Stateless and thread-safe.
 */
public final class Rpc {
    private Rpc() {}

    // ------------------------------------------------------------------------------------------- scalars

    public static String string(Object v) {
        if (v instanceof String s) return s;
        throw new RpcDecodeException("Expected string, got '" + debug(v) + "'");
    }

    public static long int64(Object v) {
        if (v instanceof Long l) return l;
        if (v instanceof Integer i) return i;
        if (v instanceof String s) {
            try {
                return RpcValues.parseOcamlInt64(s); // ocaml-rpc: Int64.of_string
            } catch (NumberFormatException e) {
                throw new RpcDecodeException("Expected int64, got string '" + s + "'");
            }
        }
        throw new RpcDecodeException("Expected int64, got '" + debug(v) + "'");
    }

    /** OCaml's native {@code int} (63 bits on the hosts xenopsd runs on); Java code keeps it in an int. */
    public static int integer(Object v) {
        long l = int64(v);
        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw new RpcDecodeException("Expected int, got out of range " + l);
        }
        return (int) l;
    }

    public static double float64(Object v) {
        if (v instanceof Double d) return d;
        if (v instanceof Long l) return l;
        if (v instanceof Integer i) return i;
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                throw new RpcDecodeException("Expected float, got string '" + s + "'");
            }
        }
        throw new RpcDecodeException("Expected float, got '" + debug(v) + "'");
    }

    public static boolean bool(Object v) {
        if (v instanceof Boolean b) return b;
        throw new RpcDecodeException("Expected bool, got '" + debug(v) + "'");
    }

    public static void unit(Object v) {
        if (v != null) throw new RpcDecodeException("Expected unit, got '" + debug(v) + "'");
    }

    // ------------------------------------------------------------------------------------------- containers

    public static List<?> list(Object v) {
        if (v instanceof List<?> l) return l;
        throw new RpcDecodeException("Expecting array, got '" + debug(v) + "'");
    }

    public static <T> List<T> list(Object v, Function<Object, T> item) {
        List<?> l = list(v);
        List<T> r = new ArrayList<>(l.size());
        for (Object x : l) r.add(item.apply(x));
        return List.copyOf(r);
    }

    public static <T> List<Object> encodeList(List<T> items, Function<? super T, Object> item) {
        List<Object> r = new ArrayList<>(items.size());
        for (T x : items) r.add(item.apply(x));
        return r;
    }

    public static Map<?, ?> dict(Object v) {
        if (v instanceof Map<?, ?> m) return m;
        throw new RpcDecodeException("Expecting Rpc.Dict, got '" + debug(v) + "'");
    }

    /** A {@code (string * string) list}: a Dict of strings, kept in order (unmodifiable). */
    public static Map<String, String> stringMap(Object v) {
        Map<String, String> r = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : dict(v).entrySet()) r.put((String) e.getKey(), string(e.getValue()));
        return java.util.Collections.unmodifiableMap(r);
    }

    public static Map<String, Object> encodeStringMap(Map<String, String> m) {
        return new LinkedHashMap<>(m);
    }

    public static <T> Map<String, T> map(Object v, Function<Object, T> value) {
        Map<String, T> r = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : dict(v).entrySet()) r.put((String) e.getKey(), value.apply(e.getValue()));
        return java.util.Collections.unmodifiableMap(r);
    }

    public static <T> Map<String, Object> encodeMap(Map<String, T> m, Function<? super T, Object> value) {
        Map<String, Object> r = new LinkedHashMap<>();
        m.forEach((k, x) -> r.put(k, value.apply(x)));
        return r;
    }

    /** A tuple of exactly {@code n} items. */
    public static List<?> tuple(Object v, int n) {
        if (v instanceof List<?> l && l.size() == n) return l;
        throw new RpcDecodeException("Expecting a tuple of " + n + ", got '" + debug(v) + "'");
    }

    public static List<Object> tupleOf(Object... items) {
        List<Object> r = new ArrayList<>(items.length);
        for (Object x : items) r.add(x);
        return r;
    }

    /** An option outside a record: {@code []} is None (returned as {@code null}), {@code [x]} is Some x. */
    public static <T> T option(Object v, Function<Object, T> some) {
        if (v instanceof List<?> l) {
            if (l.isEmpty()) return null;
            if (l.size() == 1) return some.apply(l.get(0));
        }
        throw new RpcDecodeException("Expecting an Enum value, got '" + debug(v) + "'");
    }

    public static List<Object> encodeOption(Object someOrNull) {
        List<Object> r = new ArrayList<>(1);
        if (someOrNull != null) r.add(someOrNull);
        return r;
    }

    // ------------------------------------------------------------------------------------------- variants

    /** A decoded variant: its tag as sent and its contents ({@code null} for a tag without arguments). */
    public record Tag(String name, Object contents) {
        public boolean is(String tag) {
            return name.equalsIgnoreCase(tag);
        }
    }

    public static Tag variant(Object v) {
        if (v instanceof String s) return new Tag(s, null);
        if (v instanceof List<?> l && l.size() == 2 && l.get(0) instanceof String s) return new Tag(s, l.get(1));
        throw new RpcDecodeException("Expecting String or Enum when unmarshalling a variant, got '" + debug(v) + "'");
    }

    /** Encodes a tag: a bare string when {@code contents} is {@code null} (unit), else {@code [tag, contents]}. */
    public static Object tag(String name, Object contents) {
        if (contents == null) return name;
        List<Object> r = new ArrayList<>(2);
        r.add(name);
        r.add(contents);
        return r;
    }

    /** An enumeration-like variant (all tags without arguments) into a Java enum by case-insensitive name. */
    public static <E extends Enum<E>> E enumTag(Object v, Class<E> type) {
        Tag t = variant(v);
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(t.name())) return e;
        }
        throw new RpcDecodeException("Unknown tag '" + t.name() + "'");
    }

    // ------------------------------------------------------------------------------------------- records

    /**
     * Builds a record's Dict. Add members in declaration order; {@link #build()} reverses them, as
     * {@code Rpcmarshal.marshal} does. Optional members added with {@link #opt} are left out when {@code null}.
     */
    public static final class Struct {
        private final List<String> names = new ArrayList<>();
        private final List<Object> values = new ArrayList<>();

        public Struct put(String name, Object value) {
            names.add(name);
            values.add(value);
            return this;
        }

        public Struct opt(String name, Object someOrNull) {
            if (someOrNull != null) put(name, someOrNull);
            return this;
        }

        public Map<String, Object> build() {
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = names.size() - 1; i >= 0; i--) m.putIfAbsent(names.get(i), values.get(i));
            return m;
        }
    }

    public static Struct struct() {
        return new Struct();
    }

    /**
     * A record being decoded: member names are matched case-insensitively (the first of duplicates wins, as
     * {@code List.assoc} after lowercasing).
     */
    public static final class Fields {
        private final String sname;
        private final Map<String, Object> byLower;

        private Fields(String sname, Map<String, Object> byLower) {
            this.sname = sname;
            this.byLower = byLower;
        }

        public boolean has(String name) {
            return byLower.containsKey(name.toLowerCase(Locale.ROOT));
        }

        /** A member without a default: missing is an error. */
        public <T> T req(String name, Function<Object, T> decode) {
            String k = name.toLowerCase(Locale.ROOT);
            if (!byLower.containsKey(k)) {
                throw new RpcDecodeException("No value found for key: '" + k + "' when unmarshalling '" + sname + "'");
            }
            return decode.apply(byLower.get(k));
        }

        /** A member with a default: missing, or present but not decodable, gives the default. */
        public <T> T def(String name, Function<Object, T> decode, T dflt) {
            String k = name.toLowerCase(Locale.ROOT);
            if (!byLower.containsKey(k)) return dflt;
            try {
                return decode.apply(byLower.get(k));
            } catch (RuntimeException e) {
                return dflt;
            }
        }

        /** An option member ({@code t option}): missing or undecodable is None ({@code null}). */
        public <T> T opt(String name, Function<Object, T> decode) {
            return def(name, decode, null);
        }
    }

    public static Fields fields(Object v, String sname) {
        if (!(v instanceof Map<?, ?> m)) {
            throw new RpcDecodeException("Expecting Rpc.Dict when unmarshalling a '" + sname + "'");
        }
        Map<String, Object> byLower = new HashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            byLower.putIfAbsent(String.valueOf(e.getKey()).toLowerCase(Locale.ROOT), e.getValue());
        }
        return new Fields(sname, byLower);
    }

    // ------------------------------------------------------------------------------------------- misc

    /** An unmodifiable copy that keeps the order of {@code m} (no null keys or values). */
    public static <V> Map<String, V> frozen(Map<String, V> m) {
        Map<String, V> r = new LinkedHashMap<>();
        m.forEach((k, v) -> r.put(java.util.Objects.requireNonNull(k), java.util.Objects.requireNonNull(v)));
        return java.util.Collections.unmodifiableMap(r);
    }

    public static String debug(Object v) {
        return org.xapijava.model.rpc.RpcValues.debugString(v);
    }
}
