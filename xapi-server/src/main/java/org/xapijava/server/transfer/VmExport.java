package org.xapijava.server.transfer;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.VbdType;
import org.xapijava.model.api.enums.VmOperations;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.HttpTasks;
import org.xapijava.server.ops.Locks;
import org.xapijava.server.storage.StorageBackends;

/**
 * {@code GET /export} as Xapi's {@code export.ml handler} (reference/http-handlers.md §3–4): a Halted or Suspended
 * VM, marked {@code export} for the transfer's task, as an XVA: {@code ova.xml} ({@link OvaXml}), then each of its
 * disks that is not a CD or on an ISO SR (the suspend image too with {@code preserve_power_state=true}), in the
 * lexicographic order of their ids, as 1 MiB chunks with XXH64 checksum files ({@link DiskTar}), then the tar's end;
 * the whole optionally gzip ({@code use_compression=true|gzip}) or zstd ({@code zstd}) compressed. A VM whose disks
 * this host does not see is redirected (302) to a host that does. Memory per export: a 1 MiB chunk buffer and the
 * compressor's window. Thread-safe.
 */
final class VmExport {
    private static final Logger LOG = LoggerFactory.getLogger(VmExport.class);
    private final Datamodel dm;
    private final Db data;
    private final String hostRef;
    private final StorageBackends storage;
    private final HttpTasks tasks;
    private final TransferRequests requests;
    private final TransferGuard guard;
    /** The master's locks; null on a pool member (see {@link #marked}). */
    private final Locks locks;

    private final org.xapijava.server.ops.AllowedOperations allowed;

    VmExport(
            Datamodel dm,
            Db data,
            String hostRef,
            StorageBackends storage,
            HttpTasks tasks,
            TransferRequests requests,
            TransferGuard guard,
            Locks locks,
            org.xapijava.server.ops.AllowedOperations allowed) {
        this.dm = dm;
        this.data = data;
        this.hostRef = hostRef;
        this.storage = storage;
        this.tasks = tasks;
        this.requests = requests;
        this.guard = guard;
        this.locks = locks;
        this.allowed = allowed;
    }

    void register(HttpHandlerTable table) {
        table.register("get_export", c -> guard.run(c, this::export));
        table.register("get_export_metadata", c -> guard.run(c, this::exportMetadata));
    }

    /** Xapi's {@code vm_from_request}: {@code ref} as it is, else {@code uuid} ({@code UUID_INVALID}). */
    private String vmOf(HttpCall c) {
        var ref = c.param("ref");
        if (ref.isPresent()) {
            if (!data.exists(VM.XAPI_CLASS, ref.get())) throw ApiError.handleInvalid(VM.XAPI_CLASS, ref.get());
            return ref.get();
        }
        String uuid = c.param("uuid").orElseThrow(() -> ApiError.internal("Missing uuid or ref query parameter"));
        return requests.byUuid(VM.XAPI_CLASS, uuid);
    }

    private void export(HttpCall c) throws IOException {
        String vm = vmOf(c);
        boolean keepPower = TransferRequests.flag(c, "preserve_power_state");
        List<String> disks = disks(vm, keepPower);
        Set<String> srs = new LinkedHashSet<>();
        for (String vdi : disks) srs.add(data.get(vdi, VDI.SR));
        if (requests.redirected(c, srs)) return;
        String task = tasks.begin(c, "VM.export");
        tasks.manager().setProgress(task, 0.0);
        try {
            marked(c, task, vm, VmOperations.EXPORT, () -> {
                stream(c, task, vm, keepPower, disks);
                return null;
            });
        } catch (Exception e) {
            // before the answer's status (the lock refused, ova.xml not made): the task fails, a 500 without body;
            // after it the stream has failed the task and cut the connection itself
            if (c.response().isCommitted()) return;
            tasks.fail(task, e instanceof ApiError a ? a : ApiError.internal(e.toString()));
            Replies.bare(c, 500, task);
        }
    }

    /** Xapi's {@code bool_from_request}: {@code true} or {@code false} ({@code bool_of_string}), else the default. */
    private static boolean bool(HttpCall c, String name, boolean absent) {
        String v = c.param(name).orElse(null);
        if (v == null) return absent;
        if (v.equals("true") || v.equals("false")) return v.equals("true");
        throw ApiError.internal("Invalid_argument(\"bool_of_string\")");
    }

    /**
     * {@code GET /export_metadata} as Xapi's {@code metadata_handler}: {@code ova.xml} alone (then the tar's end) of
     * one VM ({@code ref}/{@code uuid}) or, with {@code all=true}, of every VM but the default templates (the
     * control domain too unless {@code include_dom0=false}), with their snapshots
     * ({@code export_snapshots}, default true), power state kept, VHD parents with {@code include_vhd_parents},
     * without the device types of {@code excluded_device_types} ({@code vif,vbd,vgpu,vtpm}); each VM marked
     * {@code metadata_export} meanwhile. Built in memory and sent with its {@code Content-Length}; a failure is a 500
     * and the task's error.
     */
    private void exportMetadata(HttpCall c) throws IOException {
        boolean all = bool(c, "all", false);
        boolean snapshots = bool(c, "export_snapshots", true);
        boolean dom0 = bool(c, "include_dom0", true);
        boolean parents = bool(c, "include_vhd_parents", false);
        Set<String> excluded = new LinkedHashSet<>();
        for (String d : c.param("excluded_device_types").orElse("").split(",")) {
            if (d.isEmpty()) continue;
            if (!OvaXml.DEVICE_TYPES.contains(d)) throw ApiError.internal("Unknown device type: " + d);
            excluded.add(d);
        }
        List<String> vms = all ? everyVm(dom0) : List.of(vmOf(c));
        String task = tasks.begin(c, "VM.export_metadata");
        try {
            OvaXml.Selection selection = new OvaXml.Selection(snapshots, true, parents, excluded);
            byte[] tar = lockedAll(c, task, vms, 0, () -> {
                OvaXml.Table table = OvaXml.select(data, vms, selection);
                byte[] ova = OvaXml.write(dm, data, hostRef, table, true, snapshots);
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(ova.length + 2048);
                TarWriter w = new TarWriter(out);
                w.file(OvaXml.FILE, ova, ova.length, System.currentTimeMillis() / 1000);
                w.end();
                return out.toByteArray();
            });
            Response r = c.response();
            var h = Replies.ok(r, task, "application/octet-stream");
            h.put("Content-Disposition", "attachment; filename=\"export.xva\"");
            h.put(org.eclipse.jetty.http.HttpHeader.CONTENT_LENGTH, Long.toString(tar.length));
            tasks.complete(task, "");
            r.write(true, java.nio.ByteBuffer.wrap(tar), c.callback());
        } catch (Exception e) {
            if (c.response().isCommitted()) throw e instanceof IOException io ? io : new IOException(e);
            tasks.fail(task, e instanceof ApiError a ? a : ApiError.internal(e.toString()));
            Replies.bare(c, 500, task);
        }
    }

    /** Every VM of {@code all=true}: not default templates, control domains only with {@code include_dom0}. */
    private List<String> everyVm(boolean dom0) {
        List<String> out = new ArrayList<>();
        for (String vm : data.all(VM.XAPI_CLASS)) {
            boolean defaultTemplate = OvaXml.isDefaultTemplate(
                    data.get(vm, VM.IS_DEFAULT_TEMPLATE),
                    data.get(vm, VM.IS_A_TEMPLATE),
                    data.get(vm, VM.OTHER_CONFIG));
            if (defaultTemplate || !dom0 && data.get(vm, VM.IS_CONTROL_DOMAIN)) continue;
            out.add(vm);
        }
        return out;
    }

    /** Runs {@code body} with {@code vms[from..]} marked {@code metadata_export} for {@code task}. */
    private <T> T lockedAll(HttpCall c, String task, List<String> vms, int from, java.util.concurrent.Callable<T> body)
            throws Exception {
        if (from == vms.size()) return body.call();
        return marked(
                c, task, vms.get(from), VmOperations.METADATA_EXPORT, () -> lockedAll(c, task, vms, from + 1, body));
    }

    /**
     * Runs {@code body} with {@code vm} marked {@code op} for {@code task}, unmarked after: on the master through its
     * locks (checked and marked at once, waiting as Xapi's {@code fail_quickly}); on a member as Xapi's own
     * {@code lock_vm} does it everywhere (the checker's verdict, then the mark, a slight race Xapi accepts), the
     * writes going to the master's database.
     */
    private <T> T marked(HttpCall c, String task, String vm, VmOperations op, java.util.concurrent.Callable<T> body)
            throws Exception {
        if (locks != null) {
            CallContext ctx = new CallContext(data, tasks.manager(), null, "VM." + op.wire(), c.caller(), null, task);
            return locks.withOperation(ctx, VM.XAPI_CLASS, vm, op.wire(), Locks.Retry.FAIL_QUICKLY, body);
        }
        allowed.assertValid(VM.XAPI_CLASS, vm, op.wire());
        data.addToMap(vm, VM.CURRENT_OPERATIONS, task, op.wire());
        try {
            allowed.update(VM.XAPI_CLASS, vm);
            return body.call();
        } finally {
            data.removeFromMap(vm, VM.CURRENT_OPERATIONS, task);
            allowed.update(VM.XAPI_CLASS, vm);
        }
    }

    /**
     * The VDIs an export streams ({@code export.ml export}): those of the VM's VBDs that are not CDs, the suspend
     * image of a Suspended VM whose power state is kept, none on an ISO SR.
     */
    private List<String> disks(String vm, boolean keepPower) {
        List<String> out = new ArrayList<>();
        if (keepPower && VmPowerState.SUSPENDED.wire().equals(data.get(vm, VM.POWER_STATE)))
            out.add(data.get(vm, VM.SUSPEND_VDI));
        for (String vbd : data.get(vm, VM.VBDS)) {
            if (VbdType.CD.wire().equals(data.get(vbd, VBD.TYPE)) || data.get(vbd, VBD.EMPTY)) continue;
            out.add(data.get(vbd, VBD.VDI));
        }
        out.removeIf(vdi ->
                !data.exists(VDI.XAPI_CLASS, vdi) || "iso".equals(data.get(data.get(vdi, VDI.SR), SR.CONTENT_TYPE)));
        return out;
    }

    private void stream(HttpCall c, String task, String vm, boolean keepPower, List<String> vdis) throws IOException {
        OvaXml.Table table = OvaXml.select(data, vm, keepPower);
        byte[] ova = OvaXml.write(dm, data, hostRef, table, keepPower);
        List<String> disks = new ArrayList<>(new LinkedHashSet<>(vdis));
        disks.removeIf(v -> !table.has(v));
        disks.sort((a, b) -> table.id(a).compareTo(table.id(b)));
        long total = 0;
        for (String vdi : disks) total += data.get(vdi, VDI.VIRTUAL_SIZE);
        Response r = c.response();
        Replies.ok(r, task, "application/octet-stream")
                .put("Content-Disposition", "attachment; filename=\"export.xva\"");
        RawVdiTransfer.Progress progress = new RawVdiTransfer.Progress(tasks, task, total);
        ExportDisk disk = null;
        try {
            OutputStream buffered = new java.io.BufferedOutputStream(Content.Sink.asOutputStream(r), 1 << 16);
            OutputStream out = compressed(c, buffered);
            // uncompressed, a chunk goes from its direct buffer to the response without a copy into the heap
            TarWriter tar = new TarWriter(out, out == buffered ? b -> Content.Sink.write(r, false, b) : null);
            tar.file(OvaXml.FILE, ova, ova.length, System.currentTimeMillis() / 1000);
            long done = 0;
            int n = 0;
            for (String vdi : disks) {
                long size = data.get(vdi, VDI.VIRTUAL_SIZE);
                disk = ExportDisk.open(storage, vdi, "export/" + task + "/" + n++, true);
                progress.base(done);
                DiskTar.writeChunks(tar, disk.reader(), size, table.id(vdi), progress, DiskTar.KEEP_ALIVE_NANOS);
                disk = ExportDisk.close(disk);
                done += size;
            }
            tar.end();
            out.close(); // the compressor's end, then the response's
            tasks.complete(task, "");
            c.callback().succeeded();
        } catch (IOException | RuntimeException e) {
            Replies.abort(c, tasks, task, e, new ApiError(ErrorCodes.CLIENT_ERROR, e.toString()));
        } finally {
            ExportDisk.close(disk);
        }
    }

    /** Xapi's {@code use_compression}: {@code true} or {@code gzip} is gzip, {@code zstd} is zstd, else none. */
    private static OutputStream compressed(HttpCall c, OutputStream out) throws IOException {
        String how = c.param("use_compression").orElse("");
        return switch (how) {
            case "true", "gzip" -> new GZIPOutputStream(out, 1 << 16);
            case "zstd" -> new ZstdOutputStream(out);
            default -> out;
        };
    }
}
