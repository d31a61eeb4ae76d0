package org.xapijava.model.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupProcessTest {
    private static final GroupProcess.Limits LIMITS = new GroupProcess.Limits(Duration.ofSeconds(20), 1 << 20, 1 << 20);

    @TempDir
    Path dir;

    private static GroupProcess.Result sh(String script, GroupProcess.Limits limits) throws IOException {
        return GroupProcess.run(
                List.of("/bin/sh", "-c", script), Map.of("PATH", GroupProcess.DEFAULT_PATH, "ONLY", "this"), limits);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void outputExitStatusAndOnlyTheGivenEnvironment() throws IOException {
        GroupProcess.Result r = sh("echo out; echo err >&2; env | sort; exit 3", LIMITS);
        assertEquals(3, r.exit());
        assertEquals(0, r.signal());
        assertNull(r.killedBecause());
        assertTrue(text(r.stdout()).startsWith("out\n"), text(r.stdout()));
        assertTrue(text(r.stdout()).contains("ONLY=this\n"));
        assertFalse(text(r.stdout()).contains("HOME="), "nothing of the caller's environment");
        assertEquals("err\n", text(r.stderr()));
    }

    @Test
    void deathBySignal() throws IOException {
        GroupProcess.Result r = sh("kill -TERM $$", LIMITS);
        assertEquals(15, r.signal());
        assertNull(r.killedBecause());
    }

    @Test
    void aProgramThatOutlivesItsTimeHasItsWholeGroupKilled() throws Exception {
        Path pid = dir.resolve("child.pid");
        GroupProcess.Result r = sh(
                "sleep 300 & echo $! > " + pid + "; wait", new GroupProcess.Limits(Duration.ofSeconds(1), 1024, 1024));
        assertEquals("timed out after 1 s", r.killedBecause());
        long child = Long.parseLong(Files.readString(pid).strip());
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false), "the child is killed too");
    }

    @Test
    void outputPastTheCapKillsTheGroupAndKeepsTheCap() throws IOException {
        GroupProcess.Result r = sh("yes", new GroupProcess.Limits(Duration.ofSeconds(20), 4096, 1024));
        assertEquals("stdout over 4096 bytes", r.killedBecause());
        assertEquals(4096, r.stdout().length);
        assertThrows(IllegalArgumentException.class, () -> new GroupProcess.Limits(Duration.ZERO, 1, 1));
    }
}
