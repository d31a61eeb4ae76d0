package org.xapijava.storage.plugins;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Runs the Python tests of the bundled SMAPIv1 plugins (src/test/sm, {@code python3 -m unittest discover}):
 * every plugin through its real argv/stdout protocol against a fake xapi, the FUSE datapath, the GC killed
 * at each point, EXTSR on a loop device. Nothing is skipped: a missing tool fails naming the Debian package
 * that scripts/setup-test-system installs.
 */
class SmPluginsTest {
    private static final Path TESTS = Path.of("src/test/sm");

    /** Tool -> Debian package. */
    private static final Map<String, String> TOOLS = new LinkedHashMap<>();

    static {
        TOOLS.put("/usr/bin/python3", "python3");
        TOOLS.put("qemu-img", "qemu-utils");
        TOOLS.put("qemu-io", "qemu-utils");
        TOOLS.put("qemu-storage-daemon", "qemu-system-common");
        TOOLS.put("fusermount3", "fuse3");
        TOOLS.put("mkfs.ext4", "e2fsprogs");
        TOOLS.put("blkid", "util-linux");
        TOOLS.put("losetup", "mount");
        TOOLS.put("mount", "mount");
    }

    @Test
    void pluginTestsPass() throws IOException, InterruptedException {
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, String> t : TOOLS.entrySet()) {
            if (!onPath(t.getKey())) missing.add(t.getKey() + " (Debian package " + t.getValue() + ")");
        }
        if (!missing.isEmpty()) {
            fail("the SM plugin tests need " + String.join(", ", missing) + ": run scripts/setup-test-system");
        }
        if (!Files.exists(Path.of("/dev/fuse"))) fail("the SM plugin tests need /dev/fuse (FUSE datapath)");
        if (!"root".equals(System.getProperty("user.name"))) {
            fail("the SM plugin tests run as root (FUSE mounts, loop devices, mkfs); user is "
                    + System.getProperty("user.name"));
        }
        Process p = new ProcessBuilder("/usr/bin/python3", "-m", "unittest", "discover", "-s", TESTS.toString(), "-v")
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().close();
        byte[] out;
        try (var in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("python3 -m unittest did not finish");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        System.out.println(text);
        assertEquals(0, p.exitValue(), "python3 -m unittest discover -s " + TESTS + " failed:\n" + text);
        Matcher ran = Pattern.compile("Ran (\\d+) tests?").matcher(text);
        assertTrue(ran.find(), text);
        assertTrue(Integer.parseInt(ran.group(1)) >= 30, "too few plugin tests ran:\n" + text);
        assertTrue(!text.contains("skipped"), "a plugin test was skipped:\n" + text);
    }

    private static boolean onPath(String tool) {
        if (tool.startsWith("/")) return Files.isExecutable(Path.of(tool));
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/sbin:/usr/sbin:/bin:/usr/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }
}
