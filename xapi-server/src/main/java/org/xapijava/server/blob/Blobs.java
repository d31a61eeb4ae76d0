package org.xapijava.server.blob;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.Field;
import org.xapijava.model.api.Blob;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VM;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.BlobApi;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.api.gen.NetworkApi;
import org.xapijava.server.api.gen.PoolApi;
import org.xapijava.server.api.gen.SRApi;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * The blob messages of Xapi's {@code xapi_blob.ml}: {@code blob.create} (an empty MIME type is
 * {@code application/octet-stream}; size 0, {@code last_updated} the epoch, empty name and description until data
 * is PUT), {@code blob.destroy} (the blob leaves every VM's {@code blobs}, as in Xapi (other owners keep the dangling
 * ref, as there), then its row and its file go), and {@code create_new_blob} of VM, network, host, pool and SR (a
 * new blob under {@code name} in the owner's {@code blobs}). None marks an operation, as in Xapi.
 *
 * <p>Unlike Xapi, which creates the blob row before it adds it to the owner, a missing owner
 * ({@code HANDLE_INVALID}) or a name already used ({@code MAP_DUPLICATE_KEY}) leaves no stray blob: the row and the
 * owner's entry are one update. Thread-safe.
 */
public final class Blobs implements Messages {
    /** Xapi's MIME type of a blob created with an empty one. */
    static final String DEFAULT_MIME_TYPE = "application/octet-stream";

    private final Db data;
    private final BlobStore store;

    public Blobs(Db data, BlobStore store) {
        this.data = data;
        this.store = store;
    }

    @Override
    public void bind(MessageTable table) {
        BlobApi.bind(table, new BlobApi() {
            @Override
            public String create(CallContext ctx, String mimeType, boolean public_) {
                return newBlob(null, null, null, mimeType, public_);
            }

            @Override
            public void destroy(CallContext ctx, String self) {
                Blobs.this.destroy(self);
            }
        });
        VMApi.bind(table, new VMApi() {
            @Override
            public String createNewBlob(CallContext ctx, String vm, String name, String mimeType, boolean public_) {
                return newBlob(VM.BLOBS, vm, name, mimeType, public_);
            }
        });
        NetworkApi.bind(table, new NetworkApi() {
            @Override
            public String createNewBlob(
                    CallContext ctx, String network, String name, String mimeType, boolean public_) {
                return newBlob(Network.BLOBS, network, name, mimeType, public_);
            }
        });
        HostApi.bind(table, new HostApi() {
            @Override
            public String createNewBlob(CallContext ctx, String host, String name, String mimeType, boolean public_) {
                return newBlob(Host.BLOBS, host, name, mimeType, public_);
            }
        });
        PoolApi.bind(table, new PoolApi() {
            @Override
            public String createNewBlob(CallContext ctx, String pool, String name, String mimeType, boolean public_) {
                return newBlob(Pool.BLOBS, pool, name, mimeType, public_);
            }
        });
        SRApi.bind(table, new SRApi() {
            @Override
            public String createNewBlob(CallContext ctx, String sr, String name, String mimeType, boolean public_) {
                return newBlob(SR.BLOBS, sr, name, mimeType, public_);
            }
        });
    }

    /**
     * A new blob, added under {@code name} to {@code owner}'s {@code blobs} when {@code blobs} is given
     * ({@code HANDLE_INVALID} when the owner is gone, {@code MAP_DUPLICATE_KEY} when the name is taken; nothing made).
     */
    String newBlob(Field<Map<String, String>> blobs, String owner, String name, String mimeType, boolean isPublic) {
        return Db.retrying(() -> {
            Update.Builder u = Update.builder();
            if (blobs != null) u.unchanged(blobs.cls(), owner, data.modified(blobs.cls(), owner));
            String blob = Refs.fresh();
            u.create(blob, row(mimeType, isPublic));
            if (blobs != null) u.addToMap(owner, blobs, name, blob);
            data.apply(u.build());
            return blob;
        });
    }

    /** Xapi's {@code Db.Blob.create} of {@code Xapi_blob.create}. */
    private static FieldValues row(String mimeType, boolean isPublic) {
        return FieldValues.of(Blob.XAPI_CLASS)
                .with(Blob.UUID, java.util.UUID.randomUUID().toString())
                .with(Blob.NAME_LABEL, "")
                .with(Blob.NAME_DESCRIPTION, "")
                .with(Blob.SIZE, 0L)
                .with(Blob.PUBLIC, isPublic)
                .with(Blob.LAST_UPDATED, DateTime.EPOCH)
                .with(Blob.MIME_TYPE, mimeType.isEmpty() ? DEFAULT_MIME_TYPE : mimeType);
    }

    /**
     * {@code blob.destroy}: {@code HANDLE_INVALID [blob, ref]} when there is no such blob; else it leaves every VM's
     * {@code blobs} and its row goes, in one update, then its file.
     */
    void destroy(String blob) {
        String uuid = Db.retrying(() -> {
            Update.Builder u = Update.builder().unchanged(Blob.XAPI_CLASS, blob, data.modified(Blob.XAPI_CLASS, blob));
            String id = data.get(blob, Blob.UUID);
            for (String vm : data.all(VM.XAPI_CLASS)) {
                List<String> keys = new ArrayList<>();
                data.get(vm, VM.BLOBS).forEach((k, v) -> {
                    if (v.equals(blob)) keys.add(k);
                });
                if (keys.isEmpty()) continue;
                u.unchanged(VM.XAPI_CLASS, vm, data.modified(VM.XAPI_CLASS, vm));
                for (String k : keys) u.removeFromMap(vm, VM.BLOBS, k);
            }
            data.apply(u.delete(Blob.XAPI_CLASS, blob).build());
            return id;
        });
        store.remove(uuid);
    }

    /**
     * The uuids of the blobs a VM names, read before the VM goes ({@code VM.destroy} destroys them, as Xapi's
     * {@code Xapi_vm_helpers.destroy}); pass them to {@link #removeGone} after.
     */
    public List<String> uuidsOf(String vm) {
        List<String> out = new ArrayList<>();
        if (!data.exists(VM.XAPI_CLASS, vm)) return out;
        for (String b : data.get(vm, VM.BLOBS).values()) {
            if (data.exists(Blob.XAPI_CLASS, b)) out.add(data.get(b, Blob.UUID));
        }
        return out;
    }

    /** Removes the files of those of {@code uuids} whose blob row is gone. */
    public void removeGone(List<String> uuids) {
        for (String uuid : uuids) {
            if (data.findByUuid(Blob.XAPI_CLASS, uuid).isEmpty()) store.remove(uuid);
        }
    }
}
