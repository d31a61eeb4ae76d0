package org.xapijava.server.remotedb;

import java.util.List;
import java.util.Map;

/**
 * A row as {@code read_record} returns it ({@code Db_interface.db_record}): every column (the {@code _ref} column
 * included) with its database string, and separately every {@code Set(Ref _)} column as its list of refs.
 * Immutable; maps keep the wire order.
 */
public record DbRecord(Map<String, String> fields, Map<String, List<String>> setRefs) {
    public DbRecord {
        fields = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(fields));
        setRefs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(setRefs));
    }
}
