package org.xapijava.server.xenops;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.api.VM;
import org.xapijava.xenopsd.Metadata;
import org.xapijava.xenopsd.Xenops;
import org.xapijava.xenopsd.XenopsError;

/**
 * The lifetime of a VM's metadata in xenopsd ({@code Xenopsd_metadata} of {@code ocaml/xapi/xapi_xenops.ml}):
 * pushed with {@code VM.import_metadata} before a start or resume, re-pushed when it changed, pulled back
 * ({@code VM.export_metadata}) when a VM suspends, and removed ({@code VM.remove}) when it halts. One lock
 * serialises these, as Xapi's {@code metadata_m}; it is held across the xenopsd call (a short call that
 * xenopsd answers at once), never across a task. Thread-safe.
 */
final class XenopsdMetadata {
    private static final Logger LOG = LoggerFactory.getLogger(XenopsdMetadata.class);

    private final Db data;
    private final String hostRef;
    private final Xenops xenops;
    private final XenopsCache cache;
    private final ReentrantLock lock = new ReentrantLock();
    /** The JSON last pushed per VM id ({@code Xapi_cache}). */
    private final Map<String, String> pushed = new ConcurrentHashMap<>();

    XenopsdMetadata(Db data, String hostRef, Xenops xenops, XenopsCache cache) {
        this.data = data;
        this.hostRef = hostRef;
        this.xenops = xenops;
        this.cache = cache;
    }

    /** The metadata of {@code vm} now (a fresh generation id stored first when the VM's is "0:0"). */
    Metadata create(String vm) {
        if ("0:0".equals(data.get(vm, VM.GENERATION_ID))) {
            // Xapi_vm_helpers.vm_fresh_genid: the new id is written to the database
            String fresh = MetadataBuilder.freshGenerationId("0:0");
            try {
                data.apply(Update.builder()
                        .expect(vm, VM.GENERATION_ID, "0:0", null)
                        .set(vm, VM.GENERATION_ID, fresh)
                        .build());
            } catch (Db.Conflict e) {
                // another call gave the VM its generation id first: that one stands
            }
        }
        return MetadataBuilder.of(data, vm, hostRef, () -> data.get(vm, VM.GENERATION_ID));
    }

    /** {@code push}: {@code VM.import_metadata}; the VM's caches start empty. Returns the xenopsd VM id. */
    String push(String dbg, String vm) {
        lock.lock();
        try {
            String json = create(vm).toJson();
            LOG.info("xenops: VM.import_metadata {}", json);
            String id = xenops.vmImportMetadata(dbg, json);
            pushed.put(id, json);
            cache.register(id);
            return id;
        } finally {
            lock.unlock();
        }
    }

    /** {@code delete}: {@code VM.remove} and forget the caches; a VM still running or already gone is left alone. */
    void delete(String dbg, String id) {
        lock.lock();
        try {
            deleteLocked(dbg, id);
        } finally {
            lock.unlock();
        }
    }

    private void deleteLocked(String dbg, String id) {
        LOG.info("xenops: VM.remove {}", id);
        try {
            xenops.vmRemove(dbg, id);
            cache.unregister(id);
            pushed.remove(id);
        } catch (XenopsError e) {
            if (e.is("Bad_power_state")) LOG.debug("metadata of VM {} not removed: it is still running", id);
            else if (e.is("Does_not_exist")) LOG.debug("metadata of VM {} was already removed", id);
            else throw e;
        }
    }

    /** {@code pull}: the VM's metadata as xenopsd holds it ({@code VM.export_metadata}), then {@link #delete}. */
    Metadata pull(String dbg, String id) {
        lock.lock();
        try {
            LOG.info("xenops: VM.export_metadata {}", id);
            Metadata md = Metadata.fromJson(xenops.vmExportMetadata(dbg, id));
            deleteLocked(dbg, id);
            return md;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code update}: re-pushes the metadata of a VM xenopsd knows when it differs from what was last pushed
     * ({@code VM.import_metadata_async}, its task destroyed when it finishes).
     */
    void update(String dbg, String vm) {
        String id = data.get(vm, VM.UUID);
        lock.lock();
        try {
            if (!xenops.vmExists(dbg, id)) return;
            String json = create(vm).toJson();
            if (json.equals(pushed.get(id))) return;
            pushed.put(id, json);
            LOG.info("xenops: VM.import_metadata_async {}", json);
            String task = xenops.vmImportMetadataAsync(dbg, json);
            xenops.taskDestroyOnFinish(dbg, task);
        } finally {
            lock.unlock();
        }
    }

    /** {@code add_caches}: a VM found running at start-up; nothing is known of what was pushed. */
    void addCaches(String id) {
        pushed.remove(id);
        cache.register(id);
    }
}
