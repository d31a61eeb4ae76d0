package org.xapijava.storage;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The storage drivers this host has, keyed by SR type (Xapi's {@code SM} records, one per driver). Today the
 * local {@code file} type ({@link FileSr}, on {@code device_config:location}); the SMAPIv1 plugin executables
 * register here next. Thread-safe.
 */
public final class StorageDrivers {
    private final Map<String, SrDriverFactory> byType = new ConcurrentHashMap<>();

    /** The drivers bundled with the project. */
    public static StorageDrivers standard() {
        StorageDrivers d = new StorageDrivers();
        d.register("file", config -> {
            String location = config.get("location");
            if (location == null || location.isEmpty()) {
                throw new StorageException(SmError.INVALID_ARG, "device_config:location is required");
            }
            return new FileSr(Path.of(location).toAbsolutePath().normalize());
        });
        return d;
    }

    /**
     * Adds the driver of SR type {@code type}.
     *
     * @throws IllegalArgumentException when the type already has one
     */
    public void register(String type, SrDriverFactory factory) {
        if (byType.putIfAbsent(type, factory) != null)
            throw new IllegalArgumentException("driver for " + type + " exists");
    }

    /** The driver of {@code type}, or null. */
    public SrDriverFactory get(String type) {
        return byType.get(type);
    }

    public Set<String> types() {
        return Set.copyOf(byType.keySet());
    }
}
