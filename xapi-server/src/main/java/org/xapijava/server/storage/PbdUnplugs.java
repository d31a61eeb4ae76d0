package org.xapijava.server.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.PBD;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;

/**
 * A PBD unplugged when its host leaves or powers off: through {@code PBD.unplug}; a PBD marked attached whose SR this
 * host's storage never attached (the udev SRs, which have no driver here) answers {@code SR_NOT_ATTACHED} and is
 * marked unplugged instead. Stateless.
 */
public final class PbdUnplugs {
    private static final Logger LOG = LoggerFactory.getLogger(PbdUnplugs.class);

    private PbdUnplugs() {}

    /** Unplugs {@code pbd} if it is attached; other errors propagate. */
    public static void unplug(Db db, XenApi api, String pbd) {
        if (!db.exists(PBD.XAPI_CLASS, pbd) || !db.get(pbd, PBD.CURRENTLY_ATTACHED)) return;
        try {
            api.pbd().unplug(pbd);
        } catch (ApiError e) {
            if (!e.code().equals(ErrorCodes.SR_NOT_ATTACHED)) throw e;
            LOG.warn("PBD {} was not attached by this host's storage: marked unplugged", pbd);
            db.set(pbd, PBD.CURRENTLY_ATTACHED, false);
        }
    }
}
