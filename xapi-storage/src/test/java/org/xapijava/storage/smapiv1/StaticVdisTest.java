package org.xapijava.storage.smapiv1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.storage.StorageException;

/**
 * {@link StaticVdis} with a shell driver that records its argument: the directory layout of Xapi's static-vdis
 * tool, the driver run with the config as it is (and its detach twin), a fault kept as the executor maps it.
 */
class StaticVdisTest {
    private static final String UUID = "0b1f5c3e-1111-2222-3333-444455556666";
    private static final String CONFIG = "<?xml version='1.0'?>\n<methodCall>\n<methodName>vdi_attach_from_config"
            + "</methodName>\n<params>\n<param>\n<value><struct>\n<member>\n<name>command</name>\n<value><string>"
            + "vdi_attach_from_config</string></value>\n</member>\n<member>\n<name>vdi_uuid</name>\n<value><string>"
            + UUID + "</string></value>\n</member>\n</struct></value>\n</param>\n</params>\n</methodCall>\n";

    @TempDir
    Path dir;

    Path driver;
    Path argv;
    StaticVdis statics;

    @BeforeEach
    void setUp() throws Exception {
        argv = dir.resolve("argv");
        driver = dir.resolve("StaticSR");
        Files.writeString(
                driver,
                "#!/bin/sh\nprintf '%s' \"$1\" > " + argv + "\n"
                        + "if [ -e " + dir.resolve("fail") + " ]; then\n"
                        + "  echo '<methodResponse><fault><value><struct><member><name>faultCode</name>"
                        + "<value><int>46</int></value></member><member><name>faultString</name>"
                        + "<value><string>The VDI is not available</string></value></member></struct></value>"
                        + "</fault></methodResponse>'; exit 0\nfi\n"
                        + "case \"$1\" in *vdi_detach_from_config*) echo '<methodResponse><params><param><value><nil/>"
                        + "</value></param></params></methodResponse>';;\n"
                        + "*) echo '<methodResponse><params><param><value><struct><member><name>params</name><value>"
                        + "<string>/run/sr-datapath/x/" + UUID + "</string></value></member></struct></value></param>"
                        + "</params></methodResponse>';;\nesac\n");
        Files.setPosixFilePermissions(driver, PosixFilePermissions.fromString("rwxr-xr-x"));
        statics = new StaticVdis(
                dir.resolve("static-vdis"),
                new Smapiv1Executor(new Smapiv1Executor.Config(null, Duration.ofSeconds(20), 1 << 20, 1 << 20)));
    }

    @Test
    void addAttachDetachDelete() throws Exception {
        assertEquals(List.of(), statics.list());
        statics.add(UUID, "HA statefile", driver, CONFIG);
        Path entry = dir.resolve("static-vdis/0");
        assertEquals(UUID, Files.readString(entry.resolve("vdi-uuid")));
        assertEquals(CONFIG, Files.readString(entry.resolve("config")));
        assertEquals(driver.toString(), Files.readString(entry.resolve("driver")));
        assertFalse(statics.find(UUID).orElseThrow().currentlyAttached());
        assertThrows(StorageException.class, () -> statics.add(UUID, "again", driver, CONFIG), "already there");

        assertEquals("/run/sr-datapath/x/" + UUID, statics.attach(UUID));
        assertEquals(
                CONFIG.strip(),
                Files.readString(argv),
                "the config is the driver's argument (stripped, as the tool reads it)");
        assertEquals(Path.of("/run/sr-datapath/x/" + UUID), Files.readSymbolicLink(entry.resolve("disk")));

        statics.detach(UUID);
        assertEquals(
                CONFIG.strip().replace("vdi_attach_from_config", "vdi_detach_from_config"), Files.readString(argv));
        assertFalse(Files.exists(entry.resolve("disk"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        statics.delete(UUID);
        assertFalse(Files.exists(entry));
        assertTrue(statics.find(UUID).isEmpty());
    }

    @Test
    void aDriverFaultIsTheExecutorsErrorAndLinksNothing() throws Exception {
        statics.add(UUID, "redo log", driver, CONFIG);
        Files.createFile(dir.resolve("fail"));
        StorageException e = assertThrows(StorageException.class, () -> statics.attach(UUID));
        assertEquals("SR_BACKEND_FAILURE_46", e.xapiError().code());
        assertFalse(statics.find(UUID).orElseThrow().currentlyAttached());
    }
}
