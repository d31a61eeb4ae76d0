package org.xapijava.server.xenops;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.xenopsd.Disk;

/**
 * Suspend images: the {@code suspend} VDI a VM is saved to and resumed from. Xapi makes and destroys them
 * through its own API ({@code VDI.create}, {@code VDI.destroy}), and so does this class (so they reach storage
 * through SMAPIv2 like any VDI); xenopsd then gets the VDI as {@code VDI "<sr-uuid>/<location>"}. Thread-safe.
 */
final class SuspendImages {
    private final Db data;

    SuspendImages(Db data) {
        this.data = data;
    }

    /**
     * A new suspend image of {@code size} bytes in {@code sr} (Xapi's {@code VDI.create} with name "Suspend
     * image", type {@code suspend} and {@code sm_config} {@code vm_hint}/{@code initial_allocation}).
     */
    String create(CallContext ctx, String sr, long size, Map<String, String> smConfig) {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("name_label", "Suspend image");
        rec.put("name_description", "Suspend image");
        rec.put("SR", sr);
        rec.put("virtual_size", size);
        rec.put("type", "suspend");
        rec.put("sharable", false);
        rec.put("read_only", false);
        rec.put("other_config", Map.of());
        rec.put("xenstore_data", Map.of());
        rec.put("sm_config", smConfig);
        rec.put("tags", List.of());
        return ctx.api().vdi().create(rec);
    }

    /** What xenopsd is given for the image. */
    Disk diskOf(String vdi) {
        Disk d = MetadataBuilder.diskOfVdi(data, vdi);
        if (d == null) throw ApiError.handleInvalid("VDI", vdi);
        return d;
    }

    /** Destroys the image ({@code VDI.destroy}). */
    void destroy(CallContext ctx, String vdi) {
        ctx.api().vdi().destroy(vdi);
    }
}
