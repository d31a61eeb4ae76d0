package org.xapijava.cli.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CommandTableTest {
    @Test
    void theTableHoldsXapisStaticAndGeneratedCommandsEachWithOneCode() {
        // building it fails on a command with two codes or code for a command Xapi does not have
        CommandTable t = CommandTable.get();
        assertEquals(387 + 288, t.all().size());
        assertTrue(t.command("vm-list").isPresent() && t.command("vm-start").isPresent());
        assertTrue(
                t.unbound().size() < 387,
                "most static commands have code: " + t.unbound().size());
    }
}
