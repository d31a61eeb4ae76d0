package org.xapijava.server.storage;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.SM;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VDI;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.OpNames;
import org.xapijava.storage.StorageException;
import org.xapijava.storage.smapiv1.StaticVdis;

/**
 * {@code host.attach_static_vdis} and {@code host.detach_static_vdis} as Xapi's {@code xapi_host.ml} and
 * {@code static_vdis.ml} do them (pool-internal, local root only; the forwarding stage has placed the call on the
 * host). Attach: a {@code cbt_metadata} VDI among them is {@code VDI_INCOMPATIBLE_TYPE [vdi, cbt_metadata]} before
 * anything is done; each VDI not already attached statically gets its configuration recorded ({@code static-vdis
 * add}: the SR type's SM driver and {@code VDI.generate_config} of this host) and is attached by the driver from that
 * configuration ({@code vdi_attach_from_config}). Detach: each VDI with a static configuration is detached
 * ({@code vdi_detach_from_config}; a failure is logged and ignored, as Xapi's) and its configuration removed.
 * Where Xapi runs its {@code static-vdis} script, {@link StaticVdis} does the same work in-process. Thread-safe.
 */
public final class StaticVdiMessages implements HostApi, Messages {
    private static final Logger LOG = LoggerFactory.getLogger(StaticVdiMessages.class);

    private final Db data;
    private final VdiOperations vdis;
    private final StaticVdis statics;

    public StaticVdiMessages(Db data, VdiOperations vdis, StaticVdis statics) {
        this.data = data;
        this.vdis = vdis;
        this.statics = statics;
    }

    @Override
    public void bind(MessageTable table) {
        HostApi.bind(table, this);
    }

    @Override
    public void attachStaticVdis(CallContext ctx, String host, Map<String, String> vdiReasonMap) {
        for (String vdi : vdiReasonMap.keySet()) {
            if (data.get(vdi, VDI.TYPE).equals("cbt_metadata")) {
                throw new ApiError(ErrorCodes.VDI_INCOMPATIBLE_TYPE, vdi, OpNames.vdiType("cbt_metadata"));
            }
        }
        for (Map.Entry<String, String> e : vdiReasonMap.entrySet()) {
            String uuid = data.get(e.getKey(), VDI.UUID);
            if (statics.find(uuid).map(StaticVdis.Entry::currentlyAttached).orElse(false)) continue;
            try {
                statics.add(uuid, e.getValue(), driver(e.getKey()), vdis.generateConfig(ctx, host, e.getKey()));
                statics.attach(uuid);
            } catch (StorageException ex) {
                throw StorageBackends.toApiError(ex, data.get(e.getKey(), VDI.SR), e.getKey());
            }
        }
    }

    @Override
    public void detachStaticVdis(CallContext ctx, String host, List<String> vdiRefs) {
        for (String vdi : vdiRefs) {
            String uuid = data.get(vdi, VDI.UUID);
            if (statics.find(uuid).isEmpty()) continue;
            try {
                statics.detach(uuid);
            } catch (RuntimeException ex) {
                LOG.warn("static VDI {}: detach failed, its configuration goes anyway: {}", uuid, ex.getMessage());
            }
            statics.delete(uuid);
        }
    }

    /** The driver of the VDI's SR type ({@code SM.driver_filename}); none is {@code SR_UNKNOWN_DRIVER [type]}. */
    private Path driver(String vdi) {
        String type = data.get(data.get(vdi, VDI.SR), SR.TYPE);
        for (String sm : data.where(SM.TYPE, type)) {
            String file = data.get(sm, SM.DRIVER_FILENAME);
            if (!file.isEmpty()) return Path.of(file);
        }
        throw new ApiError(ErrorCodes.SR_UNKNOWN_DRIVER, type);
    }
}
