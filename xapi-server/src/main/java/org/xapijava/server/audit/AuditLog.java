package org.xapijava.server.audit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Xapi's RBAC audit log file ({@code /var/log/audit.log}, written through syslog by {@code rbac_audit.ml}, read by
 * {@code audit_log.ml}): one line per audited call,
 * <pre>{@code Dec  6 16:05:01 <host> xapi: [20261206T16:05:01.123Z|audit|<host>|<thread id> <thread name>|<call>|audit] (...)}</pre>
 * The file holds at most {@code maxBytes}; a line that would make it larger first rotates it as logrotate does
 * ({@code audit.log} becomes {@code audit.log.1}, {@code .1} becomes {@code .2}, ... up to {@value #KEEP}, the
 * oldest dropped), so the log takes at most {@code (KEEP + 1) * maxBytes} bytes. Thread-safe (writes serialize on
 * this object; readers see whole lines).
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    /** Rotated files kept beside the current one (Xapi's reader looks at up to {@code audit.log.100}). */
    static final int KEEP = 4;
    /** Xapi's {@code line_timestamp_length}: the part of a line's timestamp {@code since} is compared with. */
    static final int TIMESTAMP_LENGTH = 21;

    private static final DateTimeFormatter SYSLOG_TIME =
            DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter XAPI_TIME = DateTimeFormatter.ofPattern(
                    "yyyyMMdd'T'HH:mm:ss.SSS'Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private final Path file;
    private final long maxBytes;
    private final Clock clock;
    private final String hostname;
    /** The current file, open for appending (guarded by this); null until the first line or after a failure. */
    private OutputStream out;
    /** Bytes in the current file (guarded by this). */
    private long size;

    /**
     * @param file     the current log ({@code audit.log}); rotated files are {@code <file>.1} ... beside it
     * @param maxBytes the largest a file grows before rotation
     * @param hostname the host name written in each line
     */
    public AuditLog(Path file, long maxBytes, Clock clock, String hostname) {
        if (maxBytes < 1024) throw new IllegalArgumentException("audit log limit below 1 KiB: " + maxBytes);
        this.file = file;
        this.maxBytes = maxBytes;
        this.clock = clock;
        this.hostname = hostname;
    }

    public Path file() {
        return file;
    }

    /**
     * Appends one line: Xapi's syslog and debug prefixes, then {@code record} (new lines and carriage returns
     * replaced by spaces, as {@code audit_line_of} does). Failures are logged, never thrown.
     *
     * @param label the call, e.g. {@code VM.start}
     */
    public void append(String label, String record) {
        var now = clock.instant();
        appendRaw(SYSLOG_TIME.format(now) + " " + hostname + " xapi: [" + XAPI_TIME.format(now) + "|audit|" + hostname
                + "|" + Thread.currentThread().threadId() + " "
                + Thread.currentThread().getName() + "|" + label
                + "|audit] " + record);
    }

    /**
     * Appends {@code line} as it is (Xapi's {@code append_line ~raw:true}, for {@code pool.audit_log_append}: a
     * member's line kept with its own prefixes), new lines and carriage returns replaced by spaces.
     */
    public void appendRaw(String line) {
        byte[] b = (line.replace('\n', ' ').replace('\r', ' ') + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (this) {
            try {
                if (out == null) {
                    Files.createDirectories(file.toAbsolutePath().getParent());
                    out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    size = Files.size(file);
                }
                if (size > 0 && size + b.length > maxBytes) {
                    rotate();
                    out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                }
                out.write(b); // unbuffered: the line is in the file (not forced) when this returns
                size += b.length;
            } catch (IOException e) {
                LOG.warn("audit log {}: line not written: {}", file, e.toString());
                closeQuietly();
            }
        }
    }

    /** Closes the file; a later line opens it again. */
    @Override
    public synchronized void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        try {
            if (out != null) out.close();
        } catch (IOException e) {
            LOG.debug("closing the audit log {}: {}", file, e.toString());
        }
        out = null;
    }

    private void rotate() throws IOException {
        closeQuietly();
        Files.deleteIfExists(rotated(KEEP));
        for (int i = KEEP - 1; i >= 1; i--) {
            Path from = rotated(i);
            if (Files.exists(from)) Files.move(from, rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(file, rotated(1), StandardCopyOption.REPLACE_EXISTING);
        size = 0;
    }

    private Path rotated(int n) {
        return file.resolveSibling(file.getFileName() + "." + n);
    }

    /**
     * Xapi's {@code transfer_all_audit_files}: the lines of the rotated files, oldest first, then of the current one,
     * each kept when its timestamp (the {@value #TIMESTAMP_LENGTH} characters after the first {@code [}) is not
     * before {@code since} (Xapi's log form, {@link #logTimestampOf}; empty: every line).
     */
    public void transfer(String since, OutputStream out) throws IOException {
        for (int i = KEEP; i >= 0; i--) {
            Path p = i == 0 ? file : rotated(i);
            try (BufferedReader r = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (keep(line, since)) out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                }
            } catch (NoSuchFileException e) {
                // no such rotation yet
            }
        }
    }

    /** Xapi's {@code write_line} test: long enough, and its timestamp not before {@code since}. */
    static boolean keep(String line, String since) {
        int at = line.indexOf('[') + 1;
        if (line.length() <= TIMESTAMP_LENGTH + at) return false;
        return since.isEmpty() || line.substring(at, at + TIMESTAMP_LENGTH).compareTo(since) >= 0;
    }

    /** Xapi's {@code log_timestamp_of_iso8601}: {@code since} without its dashes and {@code Z}s. */
    public static String logTimestampOf(String iso8601) {
        return iso8601.replace("-", "").replace("Z", "");
    }
}
