package org.xapijava.cli.records;

import java.util.List;
import java.util.Optional;

/**
 * A CLI record (Xapi's {@code records.ml <x>_record}): the fields of one datamodel class in output order.
 *
 * @param name     the record's name in the tables ({@code vm}, {@code host}, {@code vdi})
 * @param apiClass the datamodel class ({@code VM}, {@code host}, {@code VDI})
 * @param fields   the fields, in Xapi's order (the order of every output)
 */
public record RecordSpec(String name, String apiClass, List<FieldSpec> fields) {
    public RecordSpec {
        fields = List.copyOf(fields);
    }

    /** The field of that exact CLI name. */
    public Optional<FieldSpec> field(String cliName) {
        for (FieldSpec f : fields) {
            if (f.name().equals(cliName)) return Optional.of(f);
        }
        return Optional.empty();
    }
}
