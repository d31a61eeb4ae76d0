package org.xapijava.storage.smapiv1;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The SMAPIv1 drivers this project ships ({@code xapi-storage/src/main/sm}: {@code FileSR}, {@code EXTSR},
 * {@code ISOSR}, {@code DummySR} and the modules they share), carried in this module's jar and installed into an
 * {@code sm-dir} by a development host at start, so that a host run from a build finds them like an installed one
 * finds {@code /opt/xensource/sm}. They stay separate executables run through {@link Smapiv1Executor}.
 */
public final class BundledDrivers {
    /** Every file of the bundled driver directory; {@code BundledDriversTest} keeps it equal to the directory. */
    public static final List<String> FILES = List.of(
            "DummySR",
            "EXTSR",
            "FileSR",
            "ISOSR",
            "XenAPI.py",
            "sm-errorcodes.tsv",
            "smcore.py",
            "smfile.py",
            "smgc.py",
            "smlock.py",
            "smmirror",
            "smqcow2.py",
            "smxml.py");

    private static final String RESOURCES = "/org/xapijava/storage/sm/";

    private BundledDrivers() {}

    /**
     * Writes the bundled drivers into {@code dir} (created if needed), replacing older copies; executables (the
     * {@code <X>SR} drivers and the GC) get mode 0755, the other files 0644.
     *
     * @throws UncheckedIOException when a file cannot be written or a resource is missing from the jar
     */
    public static void install(Path dir) {
        try {
            Files.createDirectories(dir);
            for (String f : FILES) {
                Path target = dir.resolve(f);
                Path tmp = dir.resolve("." + f + ".tmp");
                try (InputStream in = BundledDrivers.class.getResourceAsStream(RESOURCES + f)) {
                    if (in == null) throw new IOException("bundled driver file " + f + " is missing from the jar");
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                }
                boolean exec = f.endsWith("SR") || f.equals("smgc.py") || f.equals("smmirror");
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(exec ? "rwxr-xr-x" : "rw-r--r--"));
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install the bundled storage drivers into " + dir, e);
        }
    }
}
