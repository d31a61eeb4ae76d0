package org.xapijava.server.storage;

import java.util.Map;
import org.xapijava.server.Services;
import org.xapijava.server.api.ApiModule;
import org.xapijava.server.dispatch.MessageTable;

/**
 * The VDI messages backed by storage: {@code VDI.create} (replacing the generic database-only
 * constructor), {@code destroy}, {@code clone}, {@code snapshot}, {@code copy}, {@code resize},
 * {@code set_name_label}, {@code set_name_description}. Holds this host's {@link StorageBackends}.
 */
public final class StorageModule implements ApiModule {
    private final StorageBackends backends;
    private final VdiService vdis;

    public StorageModule(Services services, InternalCalls calls) {
        this.backends = new StorageBackends(services);
        this.vdis = new VdiService(services, backends, calls);
    }

    /** This host's storage backends (for whoever needs a VDI's data path, e.g. VBD.plug). */
    public StorageBackends backends() {
        return backends;
    }

    public VdiService vdis() {
        return vdis;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void register(MessageTable t) {
        t.bind("VDI.create", (ctx, a) -> vdis.create(ctx, (Map<String, Object>) a.get(0)));
        t.bind("VDI.destroy", (ctx, a) -> {
            vdis.destroy(ctx, (String) a.get(0));
            return null;
        });
        t.bind("VDI.clone", (ctx, a) -> vdis.clone(ctx, (String) a.get(0), (Map<String, String>) a.get(1)));
        t.bind("VDI.snapshot", (ctx, a) -> vdis.snapshot(ctx, (String) a.get(0), (Map<String, String>) a.get(1)));
        t.bind(
                "VDI.copy",
                (ctx, a) -> vdis.copy(ctx, (String) a.get(0), (String) a.get(1), (String) a.get(2), (String) a.get(3)));
        t.bind("VDI.resize", (ctx, a) -> {
            vdis.resize(ctx, (String) a.get(0), (Long) a.get(1));
            return null;
        });
        t.bind("VDI.set_name_label", (ctx, a) -> {
            vdis.setNameLabel(ctx, (String) a.get(0), (String) a.get(1));
            return null;
        });
        t.bind("VDI.set_name_description", (ctx, a) -> {
            vdis.setNameDescription(ctx, (String) a.get(0), (String) a.get(1));
            return null;
        });
    }
}
