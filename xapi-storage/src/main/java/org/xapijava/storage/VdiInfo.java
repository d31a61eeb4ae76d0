package org.xapijava.storage;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a backend knows of one VDI, in the shape of SMAPIv2's {@code vdi_info} (the fields Xapi
 * keeps in its database come from here). Immutable.
 *
 * @param location            the backend's key of the VDI inside its SR (Xapi's {@code VDI.location});
 *                            empty in a creation request
 * @param uuid                the VDI's uuid; in a creation request empty (the backend chooses) or
 *                            the uuid wanted
 * @param nameLabel           name
 * @param nameDescription     description
 * @param type                Xapi's VDI type ({@code user}, {@code system}, {@code suspend}, ...)
 * @param virtualSize         the size the guest sees, in bytes
 * @param physicalUtilisation bytes really allocated for it
 * @param readOnly            read-only
 * @param sharable            may be attached by several VMs at once
 * @param smConfig            the driver's private map (for a creation request: the caller's)
 */
public record VdiInfo(
        String location,
        String uuid,
        String nameLabel,
        String nameDescription,
        String type,
        long virtualSize,
        long physicalUtilisation,
        boolean readOnly,
        boolean sharable,
        Map<String, String> smConfig) {

    public VdiInfo {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(nameLabel, "nameLabel");
        Objects.requireNonNull(nameDescription, "nameDescription");
        Objects.requireNonNull(type, "type");
        smConfig = Collections.unmodifiableMap(new LinkedHashMap<>(smConfig));
    }

    /** A creation request: no location; {@code uuid} empty to let the backend choose. */
    public static VdiInfo request(
            String uuid,
            String nameLabel,
            String nameDescription,
            String type,
            long virtualSize,
            boolean readOnly,
            boolean sharable,
            Map<String, String> smConfig) {
        return new VdiInfo("", uuid, nameLabel, nameDescription, type, virtualSize, 0, readOnly, sharable, smConfig);
    }
}
