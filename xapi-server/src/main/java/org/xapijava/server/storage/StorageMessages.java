package org.xapijava.server.storage;

import java.time.Clock;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VDIApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.AllowedOperations;

/**
 * The VDI messages backed by storage: {@code VDI.create} (replacing the generic database-only
 * constructor), {@code destroy}, {@code clone}, {@code snapshot}, {@code copy}, {@code resize},
 * {@code set_name_label}, {@code set_name_description}. Holds this host's {@link StorageBackends}.
 */
public final class StorageMessages implements VDIApi, Messages {
    private final StorageBackends backends;
    private final VdiService vdis;

    public StorageMessages(Db data, Clock clock, AllowedOperations allowed, StorageBackends backends) {
        this.backends = backends;
        this.vdis = new VdiService(data, clock, allowed, backends);
    }

    /** This host's storage backends (for whoever needs a VDI's data path, e.g. VBD.plug). */
    public StorageBackends backends() {
        return backends;
    }

    public VdiService vdis() {
        return vdis;
    }

    @Override
    public void bind(MessageTable table) {
        VDIApi.bind(table, this);
    }

    @Override
    public String create(CallContext ctx, Map<String, Object> args) {
        return vdis.create(ctx, args);
    }

    @Override
    public void destroy(CallContext ctx, String self) {
        vdis.destroy(ctx, self);
    }

    @Override
    public String clone(CallContext ctx, String vdi, Map<String, String> driverParams) {
        return vdis.clone(ctx, vdi, driverParams);
    }

    @Override
    public String snapshot(CallContext ctx, String vdi, Map<String, String> driverParams) {
        return vdis.snapshot(ctx, vdi, driverParams);
    }

    @Override
    public String copy(CallContext ctx, String vdi, String sr, String baseVdi, String intoVdi) {
        return vdis.copy(ctx, vdi, sr, baseVdi, intoVdi);
    }

    @Override
    public void resize(CallContext ctx, String vdi, long size) {
        vdis.resize(ctx, vdi, size);
    }

    @Override
    public void setNameLabel(CallContext ctx, String self, String value) {
        vdis.setNameLabel(ctx, self, value);
    }

    @Override
    public void setNameDescription(CallContext ctx, String self, String value) {
        vdis.setNameDescription(ctx, self, value);
    }
}
