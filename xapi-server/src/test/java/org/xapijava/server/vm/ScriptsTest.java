package org.xapijava.server.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.LicenceFeature;
import org.xapijava.model.errors.ApiError;

/** {@link Scripts} runs real processes: output, arguments, environment and Xapi's errors. */
class ScriptsTest {
    @TempDir
    Path dir;

    private Path script(String body) throws Exception {
        Path p = dir.resolve("tool");
        Files.writeString(p, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    @Test
    void answersStandardOutputWithOnlyPathInTheEnvironment() throws Exception {
        Path p = script("printf '%s|' \"$@\"\necho \"${HOME:-none}\"\necho err >&2");
        assertEquals("a b|c|none\n", Scripts.call(p, List.of("a b", "c")));
    }

    @Test
    void failuresAreXapis() throws Exception {
        Path missing = dir.resolve("missing");
        ApiError e = assertThrows(ApiError.class, () -> Scripts.call(missing, List.of()));
        assertEquals(
                List.of("INTERNAL_ERROR", "Unix.Unix_error(Unix.ENOENT, \"access\", \"" + missing + "\")"),
                e.description());
        Path p = script("echo out; echo err >&2; exit 7");
        assertEquals(
                List.of(
                        "INTERNAL_ERROR",
                        "Subprocess exited with unexpected code 7; stdout = [ out\n ]; stderr = [ err\n ]"),
                assertThrows(ApiError.class, () -> Scripts.call(p, List.of())).description());
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        assertEquals(
                List.of("INTERNAL_ERROR", "Unix.Unix_error(Unix.EACCES, \"access\", \"" + p + "\")"),
                assertThrows(ApiError.class, () -> Scripts.call(p, List.of())).description());
    }

    @Test
    void poolFeaturesNeedTheirNegativeFlagFalse() {
        assertEquals(true, PoolFeatures.enabled(Map.of("restrict_vmss", "false"), LicenceFeature.VMSS));
        assertEquals(false, PoolFeatures.enabled(Map.of("restrict_vmss", "true"), LicenceFeature.VMSS));
        assertEquals(false, PoolFeatures.enabled(Map.of("restrict_vmss", "False"), LicenceFeature.VMSS));
        assertEquals(false, PoolFeatures.enabled(Map.of(), LicenceFeature.VSS));
    }
}
