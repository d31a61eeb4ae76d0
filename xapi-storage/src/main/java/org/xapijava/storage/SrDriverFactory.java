package org.xapijava.storage;

import java.util.Map;

/**
 * Opens the driver of one SR of a given type from its PBD's {@code device_config} (what {@code SR.attach} is
 * given): the entry of a storage type in the {@link StorageDrivers} registry.
 */
@FunctionalInterface
public interface SrDriverFactory {
    /**
     * @throws StorageException when the SR cannot be reached with this configuration
     */
    SrBackend open(Map<String, String> deviceConfig);
}
