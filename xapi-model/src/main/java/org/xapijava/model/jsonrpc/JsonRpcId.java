package org.xapijava.model.jsonrpc;

import java.util.Objects;

/**
 * The {@code id} of a JSON-RPC call: a 64-bit integer or a string, as Xapi accepts them (floats, booleans,
 * arrays, objects and {@code null} are refused). A response echoes it: an integer id is written back as its
 * decimal digits (so {@code -0} comes back as {@code 0}, as Xapi does), a string id with the codec's string
 * escaping. Immutable.
 */
public final class JsonRpcId {

    /** {@code 0}: the id Xen Orchestra always sends, and the one Xapi puts on its pre-dispatch error envelope. */
    public static final JsonRpcId ZERO = new JsonRpcId(0L);

    private final Object value;

    private JsonRpcId(Object value) {
        this.value = value;
    }

    public static JsonRpcId of(long id) {
        return id == 0 ? ZERO : new JsonRpcId(id);
    }

    public static JsonRpcId of(String id) {
        return new JsonRpcId(Objects.requireNonNull(id, "id"));
    }

    /** True when the id is a string, false when it is an integer. */
    public boolean isString() {
        return value instanceof String;
    }

    /** The id: a {@link Long} or a {@link String}. */
    public Object value() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JsonRpcId other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    /** The id as it appears on the wire ({@code 7} or {@code "abc"}). */
    @Override
    public String toString() {
        return JsonRpcCodec.toJson(value);
    }
}
