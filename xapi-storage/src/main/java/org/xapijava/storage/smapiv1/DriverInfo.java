package org.xapijava.storage.smapiv1;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one SMAPIv1 driver says of itself in answer to {@code sr_get_driver_info}, with where it was found: the
 * content of Xapi's {@code SM} record for it ({@code ocaml/xapi/sm.ml}, {@code xapi_sm.ml}). Immutable.
 *
 * @param type                  the SR type: the executable's stem in lower case ({@code FileSR} → {@code file})
 * @param driverFilename        the executable's absolute path ({@code <sm-dir>/<Stem>SR})
 * @param name                  {@code name}
 * @param description           {@code description}
 * @param vendor                {@code vendor}
 * @param copyright             {@code copyright}
 * @param driverVersion         {@code driver_version} (the SM record's {@code version})
 * @param requiredApiVersion    {@code required_api_version}
 * @param features              capability name → version, in Xapi's capability-table order; a capability without a
 *                              {@code /<n>} suffix has version 1; names Xapi does not know are dropped
 * @param configuration         {@code configuration}: device_config key → description, in the driver's order
 * @param supportedImageFormats {@code supported_image_formats} (empty when the driver gives none)
 */
public record DriverInfo(
        String type,
        String driverFilename,
        String name,
        String description,
        String vendor,
        String copyright,
        String driverVersion,
        String requiredApiVersion,
        Map<String, Long> features,
        Map<String, String> configuration,
        List<String> supportedImageFormats) {
    public DriverInfo {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(driverFilename, "driverFilename");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(vendor, "vendor");
        Objects.requireNonNull(copyright, "copyright");
        Objects.requireNonNull(driverVersion, "driverVersion");
        Objects.requireNonNull(requiredApiVersion, "requiredApiVersion");
        features = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(features));
        configuration = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(configuration));
        supportedImageFormats = List.copyOf(supportedImageFormats);
    }

    /** The SM record's {@code capabilities}: the feature names, in order. */
    public List<String> capabilities() {
        return List.copyOf(features.keySet());
    }

    /** Whether the driver advertises {@code feature} (e.g. {@code VDI_ACTIVATE}). */
    public boolean has(String feature) {
        return features.containsKey(feature);
    }
}
