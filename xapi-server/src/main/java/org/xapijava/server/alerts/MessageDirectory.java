package org.xapijava.server.alerts;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.EnumDef;
import org.xapijava.model.rpc.Utf8Check;

/**
 * What a {@link MessageStore} finds in its directory when it opens: the directory made (mode 0700) when missing,
 * crash leftovers ({@link MessageStore#TEMP_PREFIX}) removed, every message file read (damaged ones, and those with
 * text no stored message may hold, skipped with a warning), and the generation reservation. Stateless.
 */
final class MessageDirectory {
    // the store's own log: what it skips is the store's to report
    private static final Logger LOG = LoggerFactory.getLogger(MessageStore.class);
    /** Names of message files: decimal seconds ({@code %.5f} when written by Xapi or here). */
    private static final Pattern MESSAGE_FILE = Pattern.compile("[0-9]+(\\.[0-9]+)?");

    /**
     * @param messages    the readable messages, by file key then name
     * @param keys        the file keys of every message file, damaged ones included (not to be reused)
     * @param reservation the reserved generation bound (0 when none or damaged)
     */
    record Loaded(List<StoredMessage> messages, Set<Long> keys, long reservation) {}

    private MessageDirectory() {}

    static Loaded read(Path dir, EnumDef clsEnum) throws IOException {
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectories(
                        dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (UnsupportedOperationException e) {
                Files.createDirectories(dir);
            }
        }
        long reservation = readReservation(dir);
        List<StoredMessage> loaded = new ArrayList<>();
        Set<Long> keys = new HashSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (name.startsWith(MessageStore.TEMP_PREFIX)) {
                    Files.deleteIfExists(p);
                    continue;
                }
                if (!MESSAGE_FILE.matcher(name).matches() || !Files.isRegularFile(p)) continue;
                long key;
                try {
                    key = new BigDecimal(name)
                            .movePointRight(5)
                            .setScale(0, RoundingMode.FLOOR)
                            .longValueExact();
                } catch (ArithmeticException e) {
                    continue; // not a time
                }
                keys.add(key);
                try {
                    StoredMessage m = MessageXml.decode(Files.readAllBytes(p), name, key, clsEnum);
                    String bad = unstorableField(m);
                    if (bad != null) {
                        LOG.warn("Skipping message file {}: {}", p, bad);
                        continue;
                    }
                    loaded.add(m);
                } catch (MessageXml.MalformedMessageException e) {
                    LOG.warn("Skipping damaged message file {}: {}", p, e.getMessage());
                } catch (IOException e) {
                    LOG.warn("Skipping unreadable message file {}: {}", p, e.toString());
                }
            }
        }
        loaded.sort(Comparator.comparingLong((StoredMessage m) -> m.fileKey).thenComparing(m -> m.fileName));
        return new Loaded(loaded, keys, reservation);
    }

    private static long readReservation(Path dir) {
        Path p = dir.resolve(MessageStore.RESERVATION_FILE);
        if (!Files.exists(p)) return 0;
        try {
            return Long.parseLong(Files.readString(p, StandardCharsets.US_ASCII).trim());
        } catch (IOException | NumberFormatException e) {
            LOG.warn("Ignoring damaged generation reservation {}: {}", p, e.toString());
            return 0;
        }
    }

    /**
     * Which text field of a loaded message holds a character {@code create} refuses (a file an older version
     * or another writer left), or null: such a message could not be served (the RPC writers refuse it), so it is
     * skipped like a damaged file.
     */
    static String unstorableField(StoredMessage m) {
        String[][] fields = {
            {"ref", m.ref}, {"uuid", m.uuid}, {"name", m.name}, {"obj_uuid", m.objUuid}, {"body", m.body}
        };
        for (String[] f : fields) {
            String bad = Utf8Check.describeUnstorable(f[1]);
            if (bad != null) return "its " + f[0] + " holds " + bad + ", a character no stored text may hold";
        }
        return null;
    }
}
