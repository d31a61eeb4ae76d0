package org.xapijava.cli.records;

import java.util.List;
import java.util.Set;

/**
 * One field of a CLI record (Xapi's {@code records.ml make_field}), as the record tables describe it.
 *
 * @param name     the CLI name ({@code name-label}, {@code VCPUs-max}, {@code vm-uuid})
 * @param path     where the value comes from: one datamodel field of the record's class ({@code [name_label]}), or
 *                 a reference field followed by a field of its target ({@code [metrics, memory_actual]},
 *                 {@code [VM, name_label]}); empty for a computed field
 * @param computed the name of the Java computation of a field the datamodel does not give directly
 *                 ({@code memory_target}, {@code possible_hosts}), else null
 * @param shape    how the value is shown and edited: a scalar, a set or a map
 * @param writable whether it has a setter ({@code rw}), set add ({@code set-rw}) or map add ({@code map-rw}):
 *                 decides the {@code ( RW)}, {@code (SRW)}, {@code (MRW)} label
 * @param setter   the XenAPI message that sets it when not the default ({@code <Class>.set_<field>} for a scalar,
 *                 {@code add_to_}/{@code remove_from_} for a map, {@code add_}/{@code remove_} for a set), else null
 * @param keys     for a map whose setter accepts only some keys, those keys; else empty
 * @param flags    the other properties
 */
public record FieldSpec(
        String name,
        List<String> path,
        String computed,
        Shape shape,
        boolean writable,
        String setter,
        List<String> keys,
        Set<Flag> flags) {

    public FieldSpec {
        path = List.copyOf(path);
        keys = List.copyOf(keys);
        flags = flags.isEmpty() ? Set.of() : Set.copyOf(flags);
    }

    /** How a field is shown and edited. */
    public enum Shape {
        SCALAR,
        SET,
        MAP
    }

    /** A field's other properties, as the {@code records.ml} arguments of the same names. */
    public enum Flag {
        /** never shown by {@code *-list} and {@code *-param-list}; readable and writable by exact name */
        HIDDEN,
        /** needs more calls: {@code <expensive field>} in lists */
        EXPENSIVE,
        /** printed with {@code [DEPRECATED]} */
        DEPRECATED,
        /** filters match it ignoring case (MAC addresses) */
        CASE_INSENSITIVE,
        /** a set joined with {@code ", "} instead of {@code "; "} (tags and a few others) */
        COMMA,
        /** an enum shown in lower case ({@code power-state}: {@code running}) */
        LOWER,
        /** the setter takes a size with an optional unit ({@code 1GiB}) */
        SIZE,
        /** a map set as a whole ({@code set_map}): every key given in one call */
        SET_WHOLE_MAP,
        /** a map whose existing keys are changed one by one ({@code set_in_map}) */
        SET_IN_MAP,
        /** a reference whose setter takes the target's uuid (looked up with {@code get_by_uuid}) */
        BY_UUID,
        /**
         * an enum (a set of enums, a map keyed by one) spelled the CLI's own way ({@code Destroy}, {@code VM.start}):
         * {@link RecordTables#enumText}
         */
        CLI_ENUM,
        /** a map shown as the list of its values ({@code current_operations}: task to operation) */
        VALUES,
        /** a map that {@code -param-clear} empties with {@code <Class>.set_<field>} ({@code xenstore-data}) */
        CLEAR_BY_SET
    }

    /** Whether the field is a computed one. */
    public boolean isComputed() {
        return computed != null;
    }

    public boolean has(Flag f) {
        return flags.contains(f);
    }
}
