package org.xapijava.server.vm;

import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Pool;
import org.xapijava.model.errors.ApiError;

/**
 * Xapi's {@code Pool_features.assert_enabled} for the licensed features VM settings check: a feature is enabled when
 * its flag in {@code pool.restrictions} says so ({@code restrict_*} flags are negative: {@code "false"} enables), and
 * disabled when the flag is missing or not a boolean (none of these is enabled when unknown). XCP-ng licenses every
 * one of them. Stateless.
 */
final class PoolFeatures {
    /** The features, by Xapi's name ({@code Features.name_of_feature}), with their restriction flag. */
    enum Feature {
        DMC("restrict_dmc"),
        VMSS("restrict_vmss"),
        VSS("restrict_vss"),
        // the next two carry Xapi's constructor names, which LICENCE_RESTRICTION names
        VIF_locking("restrict_vif_locking"),
        Guest_ip_setting("restrict_guest_ip_setting");

        final String flag;

        Feature(String flag) {
            this.flag = flag;
        }
    }

    private PoolFeatures() {}

    /** {@code LICENCE_RESTRICTION [feature]} unless the pool's restrictions enable {@code f}. */
    static void assertEnabled(Db db, String pool, Feature f) {
        if (!enabled(db.get(pool, Pool.RESTRICTIONS), f)) throw new ApiError(ErrorCodes.LICENCE_RESTRICTION, f.name());
    }

    /**
     * Whether {@code f} is enabled: its negative flag is {@code "false"} (OCaml's {@code bool_of_string} takes only
     * {@code "true"} and {@code "false"}; anything else counts as unknown, i.e. disabled).
     */
    static boolean enabled(Map<String, String> restrictions, Feature f) {
        return "false".equals(restrictions.get(f.flag));
    }
}
