package org.xapijava.server.xenops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.DbReader;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.DbValues;
import org.xapijava.server.Services;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.xenopsd.Disk;

/**
 * Suspend images: the {@code suspend} VDI a VM is saved to and resumed from. Xapi makes and destroys them
 * through its own API ({@code VDI.create}, {@code VDI.destroy}); so does this class when those messages are
 * bound, and xenopsd then gets the VDI as {@code VDI "<sr-uuid>/<location>"}.
 *
 * <p>Without a storage implementation (the messages answer NOT_IMPLEMENTED), the image is a file in the SR's
 * directory (its PBD's {@code device_config:location}) with a VDI record of type {@code suspend} written here,
 * and xenopsd gets it as a {@code Local} path. Thread-safe.
 */
final class SuspendImages {
    private static final Logger LOG = LoggerFactory.getLogger(SuspendImages.class);

    private final Services services;
    private volatile MessageTable table;

    SuspendImages(Services services) {
        this.services = services;
    }

    void bind(MessageTable t) {
        this.table = t;
    }

    private boolean storageBound() {
        MessageTable t = table;
        return t != null && t.isBound("VDI.create") && t.isBound("VDI.destroy");
    }

    /**
     * A new suspend image of {@code size} bytes in {@code sr} (Xapi's {@code VDI.create} with name "Suspend
     * image", type {@code suspend} and {@code sm_config} {@code vm_hint}/{@code initial_allocation}).
     */
    String create(CallContext ctx, String sr, long size, Map<String, String> smConfig) {
        if (storageBound()) {
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
        Path dir = srDirectory(services.db().snapshot(), sr);
        String uuid = UUID.randomUUID().toString();
        String location = uuid;
        String ref = Refs.fresh();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw ApiError.internal("cannot create the suspend image directory " + dir + ": " + e.getMessage());
        }
        services.db().transact(tx -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("uuid", uuid);
            row.put("name_label", "Suspend image");
            row.put("name_description", "Suspend image");
            row.put("SR", sr);
            row.put("virtual_size", size);
            row.put("physical_utilisation", 0L);
            row.put("type", "suspend");
            row.put("sharable", false);
            row.put("read_only", false);
            row.put("sm_config", smConfig);
            row.put("location", location);
            row.put("managed", true);
            tx.create("VDI", ref, row);
        });
        return ref;
    }

    /** What xenopsd is given for the image. */
    Disk diskOf(String vdi) {
        DbReader r = services.db().snapshot();
        if (storageBound()) {
            Disk d = MetadataBuilder.diskOfVdi(r, vdi);
            if (d == null) throw ApiError.handleInvalid("VDI", vdi);
            return d;
        }
        if (!DbValues.valid(r, "VDI", vdi)) throw ApiError.handleInvalid("VDI", vdi);
        return new Disk.Local(fileOf(r, vdi).toString());
    }

    /** Destroys the image ({@code VDI.destroy}, or the file and its record). */
    void destroy(CallContext ctx, String vdi) {
        if (storageBound()) {
            ctx.api().vdi().destroy(vdi);
            return;
        }
        DbReader r = services.db().snapshot();
        if (!DbValues.valid(r, "VDI", vdi)) throw ApiError.handleInvalid("VDI", vdi);
        Path f = fileOf(r, vdi);
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            LOG.warn("cannot delete suspend image {}: {}", f, e.toString());
        }
        services.db().transact(tx -> {
            if (!tx.exists("VDI", vdi)) return;
            tx.delete("VDI", vdi);
            for (String vm : tx.getAllWhere("VM", "field \"suspend_VDI\" = \"" + vdi + "\""))
                tx.set("VM", vm, "suspend_VDI", Refs.NULL);
        });
    }

    private Path fileOf(DbReader r, String vdi) {
        return srDirectory(r, DbValues.str(r, "VDI", vdi, "SR"))
                .resolve(DbValues.str(r, "VDI", vdi, "location") + ".suspend");
    }

    /** This host's PBD's {@code device_config:location} for the SR. */
    private Path srDirectory(DbReader r, String sr) {
        for (String pbd : DbValues.list(r, "SR", sr, "PBDs")) {
            if (!DbValues.valid(r, "PBD", pbd) || !services.hostRef().equals(DbValues.str(r, "PBD", pbd, "host")))
                continue;
            String loc = DbValues.map(r, "PBD", pbd, "device_config").get("location");
            if (loc != null && !loc.isEmpty()) return Path.of(loc);
        }
        throw new ApiError("SR_NO_PBDS", sr);
    }
}
