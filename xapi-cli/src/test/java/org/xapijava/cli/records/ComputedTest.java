package org.xapijava.cli.records;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ComputedTest {
    @Test
    void everyComputedFieldOfTheTablesHasItsComputation() {
        List<String> missing = new ArrayList<>();
        for (RecordSpec r : RecordTables.get().records()) {
            for (FieldSpec f : r.fields()) {
                if (f.isComputed() && !Computed.known(f.computed())) missing.add(r.name() + "." + f.computed());
            }
        }
        assertEquals(List.of(), missing);
    }
}
