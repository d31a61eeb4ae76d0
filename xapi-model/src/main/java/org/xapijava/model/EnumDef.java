package org.xapijava.model;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** An enumeration of the datamodel; values in datamodel order and exact spelling. Immutable. */
public final class EnumDef {
    private final String name;
    private final List<String> values;
    private final Map<String, String> byLower = new HashMap<>();

    public EnumDef(String name, List<String> values) {
        this.name = name;
        this.values = List.copyOf(values);
        for (String v : values) byLower.put(v.toLowerCase(Locale.ROOT), v);
    }

    public String name() {
        return name;
    }

    public List<String> values() {
        return values;
    }

    /**
     * The canonical spelling of {@code input}, matched case-insensitively as Xapi does on input,
     * or {@code null} when it is not a value of this enum.
     */
    public String canonical(String input) {
        String exact = byLower.get(input.toLowerCase(Locale.ROOT));
        return exact;
    }

    public boolean contains(String value) {
        return values.contains(value);
    }
}
