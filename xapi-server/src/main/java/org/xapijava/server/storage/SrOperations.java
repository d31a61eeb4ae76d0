package org.xapijava.server.storage;

import org.xapijava.db.Db;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VDI;
import org.xapijava.model.types.Refs;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.SRApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.storage.SrStat;
import org.xapijava.storage.StorageException;

/**
 * The SR messages that run the SR's driver, as Xapi's {@code xapi_sr.ml}: {@code SR.scan} (the driver brings the
 * database in line with the disks itself; xapi then counts {@code virtual_allocation}) and {@code SR.update} (the
 * driver's totals). The placement stage runs them on a host with the SR plugged; the lock plan marks the SR for a
 * scan. Thread-safe.
 */
public final class SrOperations implements SRApi, Messages {
    private final Db data;
    private final StorageBackends backends;

    public SrOperations(Db data, StorageBackends backends) {
        this.data = data;
        this.backends = backends;
    }

    @Override
    public void bind(MessageTable table) {
        SRApi.bind(table, this);
    }

    /**
     * {@code SR.scan}: {@code sr_scan} (the driver introduces and forgets VDI records through its callbacks), then
     * {@code sr_update} as Xapi runs on every scan, then {@code virtual_allocation} = the sum of the VDIs' virtual
     * sizes.
     */
    @Override
    public void scan(CallContext ctx, String sr) {
        String id = backends.attached(data, sr);
        try {
            backends.storage().srScan(StorageBackends.context(ctx), id);
            backends.storage().srStat(StorageBackends.context(ctx), id);
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, Refs.NULL);
        }
        long total = 0;
        for (String vdi : data.where(VDI.SR, sr)) total += data.get(vdi, VDI.VIRTUAL_SIZE);
        data.set(sr, SR.VIRTUAL_ALLOCATION, total);
    }

    /** {@code SR.update}: {@code SR.stat} ({@code sr_update}); physical size and utilisation from its answer. */
    @Override
    public void update(CallContext ctx, String sr) {
        String id = backends.attached(data, sr);
        SrStat st;
        try {
            st = backends.storage().srStat(StorageBackends.context(ctx), id);
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, Refs.NULL);
        }
        data.set(sr, SR.PHYSICAL_SIZE, st.physicalSize());
        data.set(sr, SR.PHYSICAL_UTILISATION, st.physicalUtilisation());
    }
}
