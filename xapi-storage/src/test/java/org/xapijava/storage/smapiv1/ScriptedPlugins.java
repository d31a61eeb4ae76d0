package org.xapijava.storage.smapiv1;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Installs the scripted test driver ({@code smapiv1/ScriptSR} on the class path) as an executable. */
final class ScriptedPlugins {
    private ScriptedPlugins() {}

    /** Copies the script to {@code dir/name}, mode 0755, and returns its path. */
    static Path install(Path dir, String name) throws IOException {
        return install(dir, name, "ScriptSR");
    }

    /** Copies the script {@code smapiv1/<script>} to {@code dir/name}, mode 0755, and returns its path. */
    static Path install(Path dir, String name, String script) throws IOException {
        Path p = dir.resolve(name);
        try (InputStream in = ScriptedPlugins.class.getResourceAsStream("/smapiv1/" + script)) {
            Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }
}
