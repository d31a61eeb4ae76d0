package org.xapijava.model.types;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Helpers over Java values of XenAPI types (see {@link XType} for the representation). Stateless. */
public final class Values {
    private Values() {}

    /**
     * The empty value of a type: what Xapi resets non-persistent columns to and what a missing value
     * defaults to ({@code ""}, 0, 0.0, false, epoch, {@code OpaqueRef:NULL}, empty set/map, None).
     * Enums have no empty value: their first value is used.
     */
    public static Object empty(XType t, java.util.function.Function<String, List<String>> enumValues) {
        return switch (t) {
            case XType.Prim p ->
                switch (p.kind()) {
                    case STRING, VOID -> "";
                    case INT -> 0L;
                    case FLOAT -> 0.0;
                    case BOOL -> Boolean.FALSE;
                    case DATETIME -> DateTime.EPOCH;
                };
            case XType.EnumType e -> enumValues.apply(e.name()).get(0);
            case XType.RefType r -> Refs.NULL;
            case XType.SetType s -> List.of();
            case XType.MapType m -> Map.of();
            case XType.RecordType r -> Map.of();
            case XType.OptionType o -> null;
        };
    }

    /**
     * Converts the typed JSON written in the project's datamodel resource (strings, numbers, booleans,
     * arrays for sets, objects for maps with keys as strings) to the Java value of {@code t}.
     */
    public static Object fromJson(XType t, JsonNode n) {
        return switch (t) {
            case XType.Prim p ->
                switch (p.kind()) {
                    case STRING, VOID -> n.asText();
                    case INT -> n.isNumber() ? n.asLong() : Long.parseLong(n.asText());
                    case FLOAT -> n.asDouble();
                    case BOOL -> n.isBoolean() ? n.booleanValue() : Boolean.parseBoolean(n.asText());
                    case DATETIME -> DateTime.parse(n.asText());
                };
            case XType.EnumType e -> n.asText();
            case XType.RefType r -> n.asText();
            case XType.SetType s -> {
                List<Object> out = new ArrayList<>();
                for (JsonNode x : n) out.add(fromJson(s.element(), x));
                yield Collections.unmodifiableList(out);
            }
            case XType.MapType m -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                Iterator<Map.Entry<String, JsonNode>> it = n.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    out.put(keyFromString(m.key(), e.getKey()), fromJson(m.value(), e.getValue()));
                }
                yield Collections.unmodifiableMap(out);
            }
            case XType.RecordType r -> throw new IllegalArgumentException("record values have no JSON default");
            case XType.OptionType o -> n.isNull() ? null : fromJson(o.inner(), n);
        };
    }

    /** Parses a map key written as a string (map keys are strings, ints, refs or enums). */
    public static Object keyFromString(XType keyType, String s) {
        if (keyType instanceof XType.Prim p) {
            return switch (p.kind()) {
                case INT -> Long.parseLong(s);
                case FLOAT -> Double.parseDouble(s);
                case BOOL -> Boolean.parseBoolean(s);
                case DATETIME -> DateTime.parse(s);
                default -> s;
            };
        }
        return s;
    }

    /** Whether {@code v} is a Java value of type {@code t} (shallow for sets/maps elements: checked too). */
    public static boolean conforms(XType t, Object v) {
        return switch (t) {
            case XType.Prim p ->
                switch (p.kind()) {
                    case STRING -> v instanceof String;
                    case VOID -> v == null || "".equals(v);
                    case INT -> v instanceof Long;
                    case FLOAT -> v instanceof Double;
                    case BOOL -> v instanceof Boolean;
                    case DATETIME -> v instanceof DateTime;
                };
            case XType.EnumType e -> v instanceof String;
            case XType.RefType r -> v instanceof String;
            case XType.SetType s -> v instanceof List<?> l && l.stream().allMatch(x -> conforms(s.element(), x));
            case XType.MapType m ->
                v instanceof Map<?, ?> mm
                        && mm.entrySet().stream()
                                .allMatch(e -> conforms(m.key(), e.getKey()) && conforms(m.value(), e.getValue()));
            case XType.RecordType r -> v instanceof Map<?, ?>;
            case XType.OptionType o -> v == null || conforms(o.inner(), v);
        };
    }
}
