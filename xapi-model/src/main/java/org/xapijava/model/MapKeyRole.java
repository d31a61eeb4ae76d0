package org.xapijava.model;

import java.util.List;

/**
 * A map-key permission: calls touching {@code key} (a trailing {@code *} is a prefix wildcard) of the
 * message's map need permission {@code <wire name>/key:<key>}, held by {@code roles}.
 */
public record MapKeyRole(String key, List<String> roles) {
    public MapKeyRole {
        roles = List.copyOf(roles);
    }

    /** Whether {@code mapKey} is protected by this entry (exact match, or prefix for {@code *}). */
    public boolean matches(String mapKey) {
        return key.endsWith("*") ? mapKey.startsWith(key.substring(0, key.length() - 1)) : key.equals(mapKey);
    }
}
