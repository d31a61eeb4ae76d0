package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.cli.XeRun;

/**
 * {@code xe} against a pool's master over plain HTTP ({@code --nossl}), for what a member must serve: a member's
 * logs come from the member (Xapi's {@code uri_of_someone} names its address), and a VM whose disk only the member
 * sees is exported and imported through the master's redirection to the member.
 */
class XePoolTransfersTest {
    @TempDir
    Path dirA;

    @TempDir
    Path dirB;

    @TempDir
    Path home;

    @Test
    void aMembersTransfersReachTheMember() throws Exception {
        try (TwoHostPool pool = TwoHostPool.start(dirA, dirB)) {
            String member =
                    xe(pool, "host-list", "address=127.0.0.3", "--minimal").strip();
            Path logs = home.resolve("logs.tgz");
            xe(pool, "host-logs-download", "uuid=" + member, "file-name=" + logs);
            String names = gunzip(logs);
            assertTrue(names.contains(dirB.toString().substring(1) + "/logs/audit.log"), "the member's log");
            assertFalse(names.contains(dirA.toString().substring(1)), "nothing of the master's");

            String sr = null; // the member's local storage
            for (String s : xe(pool, "pbd-list", "host-uuid=" + member, "params=sr-uuid", "--minimal")
                    .strip()
                    .split(",")) {
                if (xe(pool, "sr-param-get", "uuid=" + s, "param-name=type")
                        .strip()
                        .equals("file")) sr = s;
            }
            xe(pool, "vm-install", "template=Debian Bookworm 12", "new-name-label=on-member", "sr-uuid=" + sr);
            Path xva = home.resolve("on-member.xva");
            assertTrue(xe(pool, "vm-export", "vm=on-member", "filename=" + xva).contains("Export succeeded"));
            assertTrue(head(xva).startsWith("ova.xml"), "an XVA");
            String imported =
                    xe(pool, "vm-import", "filename=" + xva, "sr-uuid=" + sr).strip();
            String vdi = xe(pool, "vbd-list", "vm-uuid=" + imported, "type=Disk", "params=vdi-uuid", "--minimal")
                    .strip();
            assertEquals(
                    sr,
                    xe(pool, "vdi-param-get", "uuid=" + vdi, "param-name=sr-uuid")
                            .strip(),
                    "on the member");
        }
    }

    private String xe(TwoHostPool pool, String... args) {
        List<String> a = new ArrayList<>(List.of(
                "-s",
                "127.0.0.2",
                "-p",
                Integer.toString(pool.master().port()),
                "--nossl",
                "-u",
                "root",
                "-pw",
                pool.master().password()));
        a.addAll(List.of(args));
        XeRun.Result r =
                XeRun.run(Map.of("XE_UNIX_SOCKET", home.resolve("no-socket").toString()), home, "", a);
        if (r.code() != 0) throw new AssertionError("xe " + String.join(" ", args) + "\n" + r);
        return r.out();
    }

    private static String gunzip(Path file) throws Exception {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            return b.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private static String head(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readNBytes(512), StandardCharsets.ISO_8859_1);
        }
    }
}
