package org.xapijava.server.xenops;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.VDI;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.xmlrpc.XmlRpcParseException;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;
import org.xapijava.server.storage.StorageBackends;
import org.xapijava.server.storage.rpc.SmVdis;
import org.xapijava.server.storage.rpc.StorageError;
import org.xapijava.storage.StorageContext;

/**
 * The source's part, after the disks of a cross-pool {@code VM.migrate_send} are copied, in linking the copies there
 * as the originals are linked here, through the destination host's storage interface ({@code POST /services/SM},
 * the {@code SM} URL of {@code dest}), as Xapi does:
 *
 * <ol>
 *   <li>each disk copied (not mirrored) gets, there and here, the {@code content_id} of the original (the end of
 *       {@code storage_smapiv1_migrate.ml}'s {@code copy}: {@code VDI.set_content_id} there, then here);
 *   <li>when snapshots' disks were copied, {@code update_snapshot_info} ({@code xapi_vm_migrate.ml}) with
 *       {@code update_snapshot_info_src} ({@code storage_migrate.ml}): for each disk of the VM, the snapshots' disks
 *       that are snapshots of it; this SR scanned ({@code SR.scan}) and the disk and those snapshots found in it by
 *       location ({@code Vdi_does_not_exist}; a snapshot is named by its uuid, as Xapi names it); then
 *       {@code SR.update_snapshot_info_dest dbg <SR there> <copy there> <vdi_info here> [(<snapshot's copy there>,
 *       <snapshot's vdi_info here>)]}, which there marks each copy a snapshot of the disk's copy with the original's
 *       {@code snapshot_time}. A snapshot whose disk is not of one of the VM's disks is logged and skipped.
 * </ol>
 *
 * An {@code Unknown_error} answer (an older storage interface there) ends the second step quietly; any other failure
 * fails the move with the XenAPI error {@code migrate_send} makes of a storage error ({@link StorageError#toApiError}).
 * Not thread-safe (one per move).
 */
final class RemoteSnapshotInfo {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteSnapshotInfo.class);
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    /** The move's client: another pool's HTTPS without a certificate check (Xapi's {@code verify_cert:None}). */
    private static final HttpClient HTTP = CrossPoolMigrate.HTTP;

    private final Db data;
    private final StorageBackends backends;
    private final URI sm;
    private final XenApi remote;
    private final String dbg;

    /**
     * @param sm     the destination's {@code /services/SM?session_id=...} ({@code dest}'s {@code SM})
     * @param remote the destination pool's XenAPI under the {@code dest} session
     * @param dbg    the storage calls' {@code dbg} (the move's task)
     */
    RemoteSnapshotInfo(Db data, StorageBackends backends, String sm, XenApi remote, String dbg) {
        this.data = data;
        this.backends = backends;
        this.sm = URI.create(sm);
        this.remote = remote;
        this.dbg = dbg;
    }

    /** Both steps for the disks of {@code vm} and of its snapshots, all copied. */
    void afterCopy(String vm, List<DiskCopy> copies) {
        try {
            setContentIds(copies);
            updateSnapshotInfo(vm, copies);
        } catch (StorageError e) {
            throw e.toApiError();
        }
    }

    private void setContentIds(List<DiskCopy> copies) {
        for (DiskCopy c : copies) {
            if (c.live) continue;
            String contentId = SmVdis.contentId(data, c.vdi);
            Map<String, Object> args = new LinkedHashMap<>();
            args.put("content_id", contentId);
            args.put("vdi", remote.vdi().getLocation(c.created));
            args.put("sr", remote.sr().getUuid(c.sr));
            args.put("dbg", dbg);
            call("VDI.set_content_id", args);
            SmVdis.setContentId(data, c.vdi, contentId);
        }
    }

    private void updateSnapshotInfo(String vm, List<DiskCopy> copies) {
        Map<String, DiskCopy> leaves = new TreeMap<>();
        List<DiskCopy> snapshots = new ArrayList<>();
        for (DiskCopy c : copies) {
            if (c.vbd == null) continue; // a suspend image
            if (c.owner.equals(vm)) leaves.put(c.vdi, c);
            else snapshots.add(c);
        }
        if (snapshots.isEmpty()) return;
        Map<String, List<DiskCopy>> of = new TreeMap<>();
        for (String leaf : leaves.keySet()) of.put(leaf, new ArrayList<>());
        for (DiskCopy s : snapshots) {
            String parent = data.get(s.vdi, VDI.SNAPSHOT_OF);
            List<DiskCopy> list = of.get(parent);
            if (list == null) {
                LOG.warn(
                        "Snapshot {} is in the snapshot_map; corresponding VDI {} is not in the vdi_map",
                        s.vdi,
                        parent);
                continue;
            }
            list.add(s);
        }
        try {
            for (Map.Entry<String, List<DiskCopy>> e : of.entrySet()) {
                updateSnapshotInfoSrc(leaves.get(e.getKey()), e.getValue());
            }
        } catch (StorageError e) {
            if (!"Unknown_error".equals(e.variant())) throw e;
            LOG.debug("Remote SMAPI doesn't implement update_snapshot_info_src - ignoring");
        }
    }

    /** {@code SR.update_snapshot_info_src} for one disk of the VM and its snapshots' disks. */
    private void updateSnapshotInfoSrc(DiskCopy leaf, List<DiskCopy> snapshots) {
        List<String> local = SmVdis.scan(data, backends, StorageContext.of(dbg), data.get(leaf.vdi, VDI.SR));
        String location = data.get(leaf.vdi, VDI.LOCATION);
        String here = SmVdis.at(data, local, location);
        if (here == null) throw StorageError.vdiDoesNotExist(location);
        Map<String, Object> pairs = new LinkedHashMap<>();
        for (DiskCopy s : snapshots) {
            String name = data.get(s.vdi, VDI.UUID);
            String snapshot = SmVdis.at(data, local, name);
            if (snapshot == null) throw StorageError.vdiDoesNotExist(name);
            pairs.put(remote.vdi().getLocation(s.created), SmVdis.vdiInfo(data, snapshot));
        }
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("snapshot_pairs", pairs);
        args.put("src_vdi", SmVdis.vdiInfo(data, here));
        args.put("vdi", remote.vdi().getLocation(leaf.created));
        args.put("sr", remote.sr().getUuid(leaf.sr));
        args.put("dbg", dbg);
        LOG.info("SR.update_snapshot_info_dest on {} for {}: {} snapshot(s)", sm.getHost(), location, pairs.size());
        call("SR.update_snapshot_info_dest", args);
    }

    /** One call of the storage interface there; its failure as the {@link StorageError} it answered. */
    private void call(String method, Map<String, Object> args) {
        HttpResponse<byte[]> r;
        try {
            r = HTTP.send(
                    HttpRequest.newBuilder(sm)
                            .header("Content-Type", "text/xml")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(XmlRpcWriter.call(method, List.of(args))))
                            .timeout(TIMEOUT)
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw ApiError.internal(method + " on " + sm.getHost() + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal("interrupted");
        }
        if (r.statusCode() != 200) {
            throw ApiError.internal(method + " on " + sm.getHost() + ": HTTP " + r.statusCode());
        }
        RpcResponse answer;
        try {
            answer = XmlRpcReader.RESPONSES.readResponse(r.body());
        } catch (XmlRpcParseException e) {
            throw ApiError.internal(method + " on " + sm.getHost() + ": " + e.getMessage());
        }
        if (!answer.success()) throw StorageError.of(answer.contents());
    }
}
