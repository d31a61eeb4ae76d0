package org.xapijava.server.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InventoryTest {
    @TempDir
    Path dir;

    @Test
    void parsesAsXapiDoes() {
        Inventory inv = Inventory.parse("""
                INSTALLATION_UUID='3f113c86-3bc6-4c22-bcf9-af1d78b2080a'
                PRODUCT_BRAND=  'XCP-ng'\t
                PLAIN=value with = sign
                no equals sign here
                EMPTY=''
                BUILD_NUMBER='1'
                BUILD_NUMBER='2'
                """);
        assertEquals("3f113c86-3bc6-4c22-bcf9-af1d78b2080a", inv.installationUuid());
        // quotes are only stripped when they are the value's first and last characters; then it is trimmed
        assertEquals("'XCP-ng'", inv.get("PRODUCT_BRAND"));
        assertEquals("value with = sign", inv.get("PLAIN"));
        assertEquals("", inv.get("EMPTY"));
        assertTrue(inv.find("EMPTY").isPresent());
        assertEquals("2", inv.get("BUILD_NUMBER"));
        assertEquals("", inv.get("MISSING"));
        assertEquals("IPv4", inv.managementAddressType());
    }

    @Test
    void formatRoundTrips() {
        Inventory inv = Inventory.parse("A='1'\nB='x y'\n").with("C", "3").with("A", "one");
        assertEquals("A='one'\nB='x y'\nC='3'\n", inv.format());
        assertEquals(inv, Inventory.parse(inv.format()));
    }

    @Test
    void loadOrCreateWritesAFreshInventoryOnceAndRereadsIt() throws Exception {
        Path file = dir.resolve("etc/xensource-inventory");
        Inventory first = Inventory.loadOrCreate(file, StartupSyncTest.hardware());
        assertTrue(Files.exists(file));
        assertTrue(first.installationUuid().matches("[0-9a-f-]{36}"));
        assertTrue(first.controlDomainUuid().matches("[0-9a-f-]{36}"));
        assertNotEquals(first.installationUuid(), first.controlDomainUuid());
        assertEquals("XCP-ng", first.get(Inventory.PRODUCT_BRAND));
        assertEquals("8.3.0", first.get(Inventory.PRODUCT_VERSION));
        assertEquals("XCP", first.get(Inventory.PLATFORM_NAME));
        assertEquals("3.4.0", first.get(Inventory.PLATFORM_VERSION));
        assertEquals("xenbr0", first.managementInterface());
        assertEquals("IPv4", first.managementAddressType());
        assertEquals("1856", first.get(Inventory.DOM0_MEM));
        assertEquals("4", first.get(Inventory.DOM0_VCPUS));
        assertTrue(Files.readString(file).contains("INSTALLATION_UUID='" + first.installationUuid() + "'\n"));
        Inventory again = Inventory.loadOrCreate(file, StartupSyncTest.hardware());
        assertEquals(first, again);
    }

    @Test
    void anExistingFileWithoutTheUuidsIsRefused() throws Exception {
        Path file = dir.resolve("inventory");
        Files.writeString(file, "INSTALLATION_UUID='abc'\n");
        assertThrows(IllegalStateException.class, () -> Inventory.loadOrCreate(file));
    }
}
