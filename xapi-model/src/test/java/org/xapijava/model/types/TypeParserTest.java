package org.xapijava.model.types;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TypeParserTest {
    @Test
    void parsesEveryShapeAndPrintsItBack() {
        String[] samples = {
            "string",
            "int",
            "float",
            "bool",
            "datetime",
            "void",
            "enum vm_power_state",
            "VM ref",
            "VM record",
            "string set",
            "VM ref set",
            "(string -> string) map",
            "(VM ref -> VM record) map",
            "(string -> enum vm_operations) map",
            "string option",
            "enum vm_operations set",
            "(int -> (string -> string) map) map",
            "(string -> string) map set",
            "<class> record"
        };
        for (String s : samples) assertEquals(s, XType.parse(s).toString(), s);
    }

    @Test
    void structure() {
        XType t = XType.parse("(VM ref -> VM record) map");
        assertEquals(new XType.MapType(new XType.RefType("VM"), new XType.RecordType("VM")), t);
        assertEquals(new XType.SetType(new XType.EnumType("vm_operations")), XType.parse("enum vm_operations set"));
    }

    @Test
    void rejectsGarbage() {
        for (String bad :
                new String[] {"", "VM", "(string -> string)", "string set set2", "enum", "(string string) map"}) {
            assertThrows(IllegalArgumentException.class, () -> XType.parse(bad), bad);
        }
    }
}
