package org.xapijava.server.vm;

import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.LicenceFeature;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Pool;
import org.xapijava.model.errors.ApiError;

/**
 * Xapi's {@code Pool_features.assert_enabled} for the licensed features VM settings check: a feature is enabled when
 * its flag in {@code pool.restrictions} says so ({@link LicenceFeature#enabledBy}). XCP-ng licenses every one of
 * them. Stateless.
 */
public final class PoolFeatures {
    private PoolFeatures() {}

    /** {@code LICENCE_RESTRICTION [feature]} unless the pool's restrictions enable {@code f}. */
    public static void assertEnabled(Db db, String pool, LicenceFeature f) {
        if (!enabled(db.get(pool, Pool.RESTRICTIONS), f)) throw new ApiError(ErrorCodes.LICENCE_RESTRICTION, f.name());
    }

    /** Whether the pool's {@code restrictions} enable {@code f}. */
    static boolean enabled(Map<String, String> restrictions, LicenceFeature f) {
        return f.enabledBy(restrictions);
    }
}
