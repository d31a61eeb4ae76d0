package org.xapijava.storage.smapiv1;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.xapijava.storage.SmError;
import org.xapijava.storage.StorageException;

/**
 * Xapi's static VDIs (disks attached to dom0 whether xapi runs or not: the HA statefile, the redo log's metadata
 * VDI), kept as Xapi's {@code static-vdis} tool keeps them, one directory per VDI under the static-vdis directory
 * (Xapi's {@code /etc/xensource/static-vdis}) named by the lowest free number, holding the files {@code vdi-uuid},
 * {@code reason}, {@code driver} (the SMAPIv1 driver's path), {@code config} (what {@code vdi_generate_config}
 * returned: a {@code vdi_attach_from_config} methodCall), {@code disk} (a link to the attached path, while
 * attached) and {@code delete-next-boot} (forget it at the next boot). Attach and detach run the driver with the
 * config itself (the detach config is the same call renamed {@code vdi_detach_from_config}), through
 * {@link Smapiv1Executor#execConfig}: no database, no session. Only SMAPIv1 drivers (Xapi's SMAPIv3 path, for
 * {@code VDI_ATTACH_OFFLINE} volumes, is not here). Calls are serialised. Thread-safe.
 */
public final class StaticVdis {
    /** One static VDI: its directory name, VDI uuid, reason, whether it goes at the next boot, its path if attached. */
    public record Entry(String id, String vdiUuid, String reason, boolean deleteNextBoot, Optional<String> disk) {
        public boolean currentlyAttached() {
            return disk.isPresent();
        }
    }

    private static final Pattern ATTACH_COMMAND = Pattern.compile(
            "(<methodName>|<value>|<string>)\\s*vdi_attach_from_config\\s*(</methodName>|</value>|</string>)");

    private final Path dir;
    private final Smapiv1Executor executor;

    public StaticVdis(Path dir, Smapiv1Executor executor) {
        this.dir = dir;
        this.executor = executor;
    }

    /** Every static VDI, by directory name. */
    public synchronized List<Entry> list() {
        List<Entry> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path d : s.sorted(Comparator.comparing(Path::toString)).toList()) {
                if (!Files.isDirectory(d) || !Files.exists(d.resolve("vdi-uuid"))) continue;
                Path disk = d.resolve("disk");
                Optional<String> target = Files.isSymbolicLink(disk) && Files.exists(disk)
                        ? Optional.of(Files.readSymbolicLink(disk).toString())
                        : Optional.empty();
                out.add(new Entry(
                        d.getFileName().toString(),
                        read(d, "vdi-uuid"),
                        Files.exists(d.resolve("reason")) ? read(d, "reason") : "",
                        Files.exists(d.resolve("delete-next-boot"), LinkOption.NOFOLLOW_LINKS),
                        target));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The entry of {@code vdiUuid}, if any. */
    public synchronized Optional<Entry> find(String vdiUuid) {
        return list().stream().filter(e -> e.vdiUuid().equals(vdiUuid)).findFirst();
    }

    /**
     * {@code static-vdis add}: records the VDI's configuration; an entry marked delete-next-boot is kept instead
     * (its mark goes, its reason is replaced); any other existing entry is an error.
     */
    public synchronized void add(String vdiUuid, String reason, Path driver, String config) {
        try {
            Optional<Entry> old = find(vdiUuid);
            if (old.isPresent()) {
                if (!old.get().deleteNextBoot()) {
                    throw StorageException.xapi(
                            SmError.GENERIC,
                            "INTERNAL_ERROR",
                            List.of("Static configuration for VDI already exists: " + vdiUuid));
                }
                Path d = dir.resolve(old.get().id());
                Files.deleteIfExists(d.resolve("delete-next-boot"));
                write(d, "reason", reason);
                return;
            }
            Files.createDirectories(dir);
            Path d = dir.resolve(freshName());
            Files.createDirectory(d);
            for (Map.Entry<String, String> f : Map.of(
                            "vdi-uuid", vdiUuid, "reason", reason, "driver", driver.toString(), "config", config)
                    .entrySet()) {
                write(d, f.getKey(), f.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code static-vdis attach}: runs the driver with the config and links {@code disk} to the path it answers
     * ({@code params}); an attached entry answers its path again without running anything.
     *
     * @return the path in dom0
     */
    public synchronized String attach(String vdiUuid) {
        Entry e = find(vdiUuid).orElseThrow(() -> missing(vdiUuid));
        if (e.currentlyAttached()) return e.disk().get();
        Path d = dir.resolve(e.id());
        Object r = executor.execConfig(Path.of(read(d, "driver")), read(d, "config"));
        String path =
                r instanceof Map<?, ?> m && m.get("params") instanceof String p ? p : r instanceof String p ? p : null;
        if (path == null || path.isEmpty()) {
            throw StorageException.xapi(
                    SmError.GENERIC, "INTERNAL_ERROR", List.of("the driver answered no params: " + r));
        }
        try {
            Files.deleteIfExists(d.resolve("disk"));
            Files.createSymbolicLink(d.resolve("disk"), Path.of(path));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return path;
    }

    /** {@code static-vdis detach}: the driver's {@code vdi_detach_from_config}, then the {@code disk} link goes. */
    public synchronized void detach(String vdiUuid) {
        Entry e = find(vdiUuid).orElseThrow(() -> missing(vdiUuid));
        Path d = dir.resolve(e.id());
        executor.execConfig(Path.of(read(d, "driver")), detachConfig(read(d, "config")));
        try {
            Files.deleteIfExists(d.resolve("disk"));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** {@code static-vdis del}: marks the entry delete-next-boot, and removes it at once when it is not attached. */
    public synchronized void delete(String vdiUuid) {
        Entry e = find(vdiUuid).orElseThrow(() -> missing(vdiUuid));
        Path d = dir.resolve(e.id());
        try {
            write(d, "delete-next-boot", "");
            if (!e.currentlyAttached()) deleteTree(d);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The detach twin of an attach config: the same methodCall with the command {@code vdi_detach_from_config}. */
    static String detachConfig(String config) {
        Matcher m = ATTACH_COMMAND.matcher(config);
        StringBuilder out = new StringBuilder();
        while (m.find()) m.appendReplacement(out, "$1vdi_detach_from_config$2");
        m.appendTail(out);
        return out.toString();
    }

    private String freshName() throws IOException {
        for (int i = 0; ; i++) {
            if (!Files.exists(dir.resolve(Integer.toString(i)), LinkOption.NOFOLLOW_LINKS)) return Integer.toString(i);
        }
    }

    private static StorageException missing(String vdiUuid) {
        return StorageException.xapi(
                SmError.GENERIC, "INTERNAL_ERROR", List.of("Disk configuration not found: " + vdiUuid));
    }

    private static String read(Path d, String name) {
        try {
            return Files.readString(d.resolve(name), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path d, String name, String value) throws IOException {
        Files.writeString(d.resolve(name), value, StandardCharsets.UTF_8);
    }

    private static void deleteTree(Path d) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(d)) {
            for (Path p : s) Files.delete(p);
        }
        Files.delete(d);
    }
}
