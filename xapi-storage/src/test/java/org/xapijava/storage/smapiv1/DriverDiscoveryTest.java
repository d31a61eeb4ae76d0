package org.xapijava.storage.smapiv1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DriverDiscoveryTest {
    @TempDir
    Path dir;

    private final DriverDiscovery discovery =
            new DriverDiscovery(new Smapiv1Executor(Smapiv1Executor.Config.defaults(null)), "OpaqueRef:host");

    @Test
    void whitelistedWorkingDriversAreFound() throws Exception {
        ScriptedPlugins.install(dir, "FileSR");
        ScriptedPlugins.install(dir, "RawSR");
        ScriptedPlugins.install(dir, "PauseSR");
        ScriptedPlugins.install(dir, "BrokenSR");
        ScriptedPlugins.install(dir, "OtherSR");
        Path notExec = ScriptedPlugins.install(dir, "NoexecSR");
        Files.setPosixFilePermissions(notExec, PosixFilePermissions.fromString("rw-r--r--"));
        ScriptedPlugins.install(dir, "helper.py");

        List<DriverInfo> found =
                discovery.discover(dir, DriverDiscovery.Whitelist.parse("file RAW pause broken noexec"));
        assertEquals(
                List.of("file", "pause", "raw"),
                found.stream().map(DriverInfo::type).toList());

        DriverInfo file = found.getFirst();
        assertEquals(dir.resolve("FileSR").toAbsolutePath().toString(), file.driverFilename());
        assertEquals("File", file.name());
        assertEquals("scripted", file.description());
        assertEquals("xapi-java", file.vendor());
        assertEquals("1.0", file.driverVersion());
        assertEquals("1.0", file.requiredApiVersion());
        Map<String, Long> expect = new LinkedHashMap<>();
        expect.put("SR_PROBE", 1L);
        expect.put("VDI_CREATE", 1L);
        expect.put("VDI_ATTACH", 1L);
        expect.put("VDI_RESET_ON_BOOT", 2L);
        assertEquals(expect, file.features());
        assertEquals(List.copyOf(expect.keySet()), file.capabilities());
        assertEquals(Map.of("mode", "what to do", "out", "where to write"), file.configuration());
        assertEquals(List.of(), file.supportedImageFormats());
        assertEquals(List.of("raw"), found.get(2).supportedImageFormats());

        DriverInfo pause = found.get(1);
        assertTrue(pause.has("VDI_ACTIVATE"));
        assertTrue(pause.has("VDI_DEACTIVATE"));
        assertFalse(pause.has("ATOMIC_PAUSE"));
        assertFalse(file.has("VDI_ACTIVATE"));
    }

    @Test
    void starAcceptsAll() throws Exception {
        ScriptedPlugins.install(dir, "ASR");
        ScriptedPlugins.install(dir, "BSR");
        assertEquals(
                List.of("a", "b"),
                discovery.discover(dir, DriverDiscovery.Whitelist.parse("*")).stream()
                        .map(DriverInfo::type)
                        .toList());
        assertEquals(List.of(), discovery.discover(dir, DriverDiscovery.Whitelist.parse("")));
        assertEquals(List.of(), discovery.discover(dir.resolve("missing"), DriverDiscovery.Whitelist.parse("*")));
    }

    @Test
    void capabilityVersions() {
        Map<String, Long> f = DriverDiscovery.features(
                "x", List.of("VDI_CLONE/0", "SR_CREATE/7", "VDI_CLONE/9", "SR_CREATE", "VDI_RESIZE/x", "BOGUS/2"));
        Map<String, Long> expect = new LinkedHashMap<>();
        expect.put("SR_CREATE", 7L);
        expect.put("VDI_RESIZE", 1L);
        expect.put("VDI_CLONE", 1L);
        assertEquals(expect, f);
    }
}
