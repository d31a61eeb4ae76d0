package org.xapijava.server.remotedb;

/**
 * The operations of {@code process_structured_field} ({@code Db_cache_types.structured_op_t}) with their v1 wire
 * names ({@code addset}, ...) and v2 constructor names ({@code AddSet}, ...). Remote access always uses the
 * idempotent {@code AddMap} (an equal value already under the key is no error); Xapi's {@code AddMapLegacy} never
 * travels.
 */
public enum StructuredOp {
    ADD_SET("addset", "AddSet"),
    REMOVE_SET("removeset", "RemoveSet"),
    ADD_MAP("addmap", "AddMap"),
    REMOVE_MAP("removemap", "RemoveMap");

    private final String v1;
    private final String v2;

    StructuredOp(String v1, String v2) {
        this.v1 = v1;
        this.v2 = v2;
    }

    public String v1Name() {
        return v1;
    }

    public String v2Name() {
        return v2;
    }

    /** The operation of a v1 name, or null. */
    static StructuredOp ofV1(String s) {
        for (StructuredOp o : values()) if (o.v1.equals(s)) return o;
        return null;
    }

    /** The operation of a v2 name (rpclib compares constructor names in any case), or null. */
    static StructuredOp ofV2(String s) {
        for (StructuredOp o : values()) if (o.v2.equalsIgnoreCase(s)) return o;
        // rpclib also knows AddMapLegacy; a slave never sends it (rpc_of_t rewrites it to AddMap)
        return "addmaplegacy".equalsIgnoreCase(s) ? ADD_MAP : null;
    }
}
