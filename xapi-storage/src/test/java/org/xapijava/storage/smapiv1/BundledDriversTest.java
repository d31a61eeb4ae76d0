package org.xapijava.storage.smapiv1;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundledDriversTest {
    static final Path SOURCE = Path.of("src/main/sm");

    @Test
    void listMatchesTheDriverDirectory() throws Exception {
        try (Stream<Path> s = Files.list(SOURCE)) {
            List<String> names = s.map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith(".") && !n.equals("__pycache__"))
                    .sorted()
                    .toList();
            assertEquals(names, BundledDrivers.FILES.stream().sorted().toList());
        }
    }

    @Test
    void installWritesTheSameBytesWithExecutableDrivers(@TempDir Path dir) throws Exception {
        BundledDrivers.install(dir.resolve("sm"));
        BundledDrivers.install(dir.resolve("sm")); // again: replaces
        for (String f : BundledDrivers.FILES) {
            Path p = dir.resolve("sm").resolve(f);
            assertArrayEquals(Files.readAllBytes(SOURCE.resolve(f)), Files.readAllBytes(p), f);
            assertEquals(f.endsWith("SR") || f.equals("smgc.py") || f.equals("smmirror"), Files.isExecutable(p), f);
        }
        assertTrue(Files.isRegularFile(dir.resolve("sm/XenAPI.py")), "the symlink's content, not a link");
    }
}
