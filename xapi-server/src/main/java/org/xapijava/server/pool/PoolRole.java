package org.xapijava.server.pool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.xapijava.model.util.AtomicFiles;

/**
 * This host's role in its pool, as Xapi keeps it in {@code /etc/xensource/pool.conf} ({@code pool_role.ml}): one line,
 * {@code master}, {@code slave:<master address>} or {@code broken}. An unreadable or malformed file is {@code broken}
 * (the host then starts in emergency mode, as Xapi's). A missing file is a fresh host: Xapi's first boot writes
 * {@code master}, so {@link #load} does the same.
 *
 * @param kind          what this host is
 * @param masterAddress the master's address for a member, else empty
 */
public record PoolRole(Kind kind, String masterAddress) {
    public enum Kind {
        MASTER,
        SLAVE,
        BROKEN
    }

    public static final PoolRole MASTER = new PoolRole(Kind.MASTER, "");
    public static final PoolRole BROKEN = new PoolRole(Kind.BROKEN, "");

    public PoolRole {
        if ((kind == Kind.SLAVE) == masterAddress.isEmpty())
            throw new IllegalArgumentException("a member's role names its master, no other role does");
    }

    public static PoolRole slave(String masterAddress) {
        return new PoolRole(Kind.SLAVE, masterAddress);
    }

    public boolean isMaster() {
        return kind == Kind.MASTER;
    }

    public boolean isSlave() {
        return kind == Kind.SLAVE;
    }

    /** The file's line, as Xapi writes it. */
    public String line() {
        return switch (kind) {
            case MASTER -> "master";
            case SLAVE -> "slave:" + masterAddress;
            case BROKEN -> "broken";
        };
    }

    /** Parses one line of {@code pool.conf}; anything else is {@link #BROKEN}. */
    public static PoolRole parse(String text) {
        String s = text.strip();
        if (s.equals("master")) return MASTER;
        if (s.startsWith("slave:") && s.length() > "slave:".length() && !s.contains("\n"))
            return slave(s.substring("slave:".length()));
        return BROKEN;
    }

    /** The role in {@code file}; a missing file is written {@code master} first (a fresh host). */
    public static PoolRole load(Path file) throws IOException {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            MASTER.store(file);
            return MASTER;
        } catch (IOException | java.io.UncheckedIOException e) {
            return BROKEN;
        }
    }

    /** Writes this role to {@code file} atomically and durably. */
    public void store(Path file) throws IOException {
        Files.createDirectories(AtomicFiles.directoryOf(file));
        AtomicFiles.write(file, line().getBytes(StandardCharsets.UTF_8));
    }
}
