package org.xapijava.server.vm;

import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Pool;
import org.xapijava.model.errors.ApiError;

/**
 * Xapi's {@code Pool_features.assert_enabled} for the licensed features VM settings check: a feature is enabled when
 * its flag in {@code pool.restrictions} says so ({@code restrict_*} flags are negative: {@code "false"} enables), and
 * disabled when the flag is missing or not a boolean, but for the few Xapi enables when unknown
 * ({@code Features.enabled_when_unknown}). XCP-ng licenses every one of them. Stateless.
 */
public final class PoolFeatures {
    /** The features, by Xapi's name ({@code Features.name_of_feature}), with their restriction flag. */
    public enum Feature {
        DMC("restrict_dmc", false),
        VMSS("restrict_vmss", false),
        VSS("restrict_vss", false),
        Checkpoint("restrict_checkpoint", false),
        // the next two carry Xapi's constructor names, which LICENCE_RESTRICTION names
        VIF_locking("restrict_vif_locking", false),
        Guest_ip_setting("restrict_guest_ip_setting", false),
        VM_appliance_start("restrict_vm_appliance_start", true),
        USB_passthrough("restrict_usb_passthrough", false),
        VM_groups("restrict_vm_groups", false),
        CBT("restrict_cbt", false),
        WLB("restrict_wlb", false);

        final String flag;
        /** Enabled when the flag is missing or not a boolean ({@code enabled_when_unknown}). */
        final boolean enabledWhenUnknown;

        Feature(String flag, boolean enabledWhenUnknown) {
            this.flag = flag;
            this.enabledWhenUnknown = enabledWhenUnknown;
        }
    }

    private PoolFeatures() {}

    /** {@code LICENCE_RESTRICTION [feature]} unless the pool's restrictions enable {@code f}. */
    public static void assertEnabled(Db db, String pool, Feature f) {
        if (!enabled(db.get(pool, Pool.RESTRICTIONS), f)) throw new ApiError(ErrorCodes.LICENCE_RESTRICTION, f.name());
    }

    /**
     * Whether {@code f} is enabled: its negative flag is {@code "false"} (OCaml's {@code bool_of_string} takes only
     * {@code "true"} and {@code "false"}; anything else counts as unknown: disabled unless enabled when unknown).
     */
    static boolean enabled(Map<String, String> restrictions, Feature f) {
        String v = restrictions.get(f.flag);
        if ("true".equals(v) || "false".equals(v)) return v.equals("false");
        return f.enabledWhenUnknown;
    }
}
