package org.xapijava.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Xapi's BIOS string facts ({@code constants.ml}), shared by the server and the CLI. */
public final class BiosStrings {
    /**
     * {@code Constants.generic_bios_strings} with {@code standard_type11_strings}: what a VM gets when it has none,
     * what {@code set_bios_strings} fills in, what the CLI calls "BIOS-generic". In Xapi's order; unmodifiable.
     */
    public static final Map<String, String> GENERIC;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("bios-vendor", "Xen");
        m.put("bios-version", "");
        m.put("system-manufacturer", "Xen");
        m.put("system-product-name", "HVM domU");
        m.put("system-version", "");
        m.put("system-serial-number", "");
        m.put("baseboard-manufacturer", "");
        m.put("baseboard-product-name", "");
        m.put("baseboard-version", "");
        m.put("baseboard-serial-number", "");
        m.put("baseboard-asset-tag", "");
        m.put("baseboard-location-in-chassis", "");
        m.put("enclosure-asset-tag", "");
        m.put("hp-rombios", "");
        // Constants.standard_type11_strings, always included
        m.put("oem-1", "Xen");
        m.put("oem-2", "MS_VM_CERT/SHA1/bdbeb6e0a816d43fa6d3fe8aaef04c2bad9d3e3d");
        GENERIC = Collections.unmodifiableMap(m);
    }

    private BiosStrings() {}
}
