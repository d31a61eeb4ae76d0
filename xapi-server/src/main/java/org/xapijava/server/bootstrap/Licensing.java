package org.xapijava.server.bootstrap;

import java.util.LinkedHashMap;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Pool;

/**
 * Xapi's {@code license_init.ml} with XCP-ng's v6d ({@code xcp-featured}): every host records its editions, its
 * {@code xcp-ng} edition and licence params ({@link #initialiseHost}); the master then derives the pool's
 * restrictions from all hosts ({@link #updatePoolFeatures}, {@code Pool_features.update_pool_features}).
 */
final class Licensing {
    private final StartupContext c;
    private final Db db;

    Licensing(StartupContext c) {
        this.c = c;
        this.db = c.db;
    }

    /** {@code License_init.initialise} for this host, in one step. */
    void initialiseHost(String host) {
        db.apply(Update.builder()
                .set(host, Host.EDITIONS, c.facts.editions())
                .set(host, Host.EDITION, c.facts.edition())
                .set(host, Host.LICENSE_PARAMS, c.facts.licenseParams())
                .build());
    }

    /** The pool's restrictions: a flag is restricted when any host restricts it (or lacks it). */
    void updatePoolFeatures(String pool) {
        Map<String, String> restrictions = new LinkedHashMap<>(c.facts.licenseParams());
        for (String h : db.all(Host.XAPI_CLASS)) {
            Map<String, String> lp = db.get(h, Host.LICENSE_PARAMS);
            restrictions.replaceAll((flag, v) -> combine(flag, v, lp.get(flag)));
        }
        db.set(pool, Pool.RESTRICTIONS, restrictions);
    }

    /** A pool flag from two hosts' values: restricted when either restricts it (or lacks it). */
    private static String combine(String flag, String a, String b) {
        boolean positive = flag.startsWith("enable_");
        if (b == null) return positive ? "false" : "true";
        boolean av = Boolean.parseBoolean(a);
        boolean bv = Boolean.parseBoolean(b);
        return Boolean.toString(positive ? av && bv : av || bv);
    }
}
