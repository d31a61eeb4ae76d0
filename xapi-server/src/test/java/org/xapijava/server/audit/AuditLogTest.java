package org.xapijava.server.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log file: Xapi's line form, bounded size by rotation, and reading oldest first with {@code since}. */
class AuditLogTest {
    @TempDir
    Path dir;

    private static List<String> read(AuditLog log, String since) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        log.transfer(since, out);
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void linesCarryXapisTimestampAndTheLogStaysBounded() throws Exception {
        Clock clock = Clock.fixed(Instant.parse("2026-12-06T16:05:01.123Z"), ZoneOffset.UTC);
        AuditLog log = new AuditLog(dir.resolve("audit.log"), 2048, clock, "host1");
        log.append("VM.start", "('a'\n'b')");
        List<String> one = read(log, "");
        assertEquals(1, one.size());
        assertTrue(
                one.get(0).startsWith("Dec  6 16:05:01 host1 xapi: [20261206T16:05:01.123Z|audit|host1|"), one.get(0));
        assertTrue(one.get(0).endsWith("|VM.start|audit] ('a' 'b')"), one.get(0));

        for (int i = 0; i < 500; i++) log.append("VM.start", "('line " + i + "')");
        long total = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                assertTrue(Files.size(p) <= 2048, p + " over the limit");
                total += Files.size(p);
            }
        }
        assertTrue(total <= (AuditLog.KEEP + 1) * 2048L);
        assertTrue(Files.exists(dir.resolve("audit.log." + AuditLog.KEEP)));
        assertFalse(Files.exists(dir.resolve("audit.log." + (AuditLog.KEEP + 1))));
        List<String> all = read(log, "");
        assertTrue(all.get(all.size() - 1).endsWith("('line 499')"));
        for (int i = 1; i < all.size(); i++) {
            int a = Integer.parseInt(all.get(i - 1).replaceAll(".*'line (\\d+)'\\)$", "$1"));
            int b = Integer.parseInt(all.get(i).replaceAll(".*'line (\\d+)'\\)$", "$1"));
            assertEquals(a + 1, b, "oldest file first, in order");
        }
        assertEquals(all, read(log, AuditLog.logTimestampOf("2026-12-06T16:05:01.123Z")));
        assertEquals(List.of(), read(log, AuditLog.logTimestampOf("2026-12-06T16:05:01.124Z")));
        assertEquals(all, read(log, AuditLog.logTimestampOf("2026-12-06")));
    }

    @Test
    void sexprStringsAreEscapedAsXapis() {
        assertEquals("'it\\'s a \\\\ b'", AuditRecords.quote("it's a \\ b"));
        assertTrue(AuditRecords.audited("VM.start"));
        assertFalse(AuditRecords.audited("VM.get_record"));
        assertFalse(AuditRecords.audited("event.from"));
        assertFalse(AuditRecords.audited("http/rrd_updates"));
        assertTrue(AuditRecords.audited("http/put_messages"));
    }
}
