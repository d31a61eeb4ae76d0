package org.xapijava.server.transfer;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.Task;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.VbdType;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.xmlrpc.XmlRpcWriter;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.HttpErrors;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.HttpParams;
import org.xapijava.server.http.HttpTasks;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.storage.StorageBackends;

/**
 * {@code PUT /import} as Xapi's {@code import.ml handler} (reference/http-handlers.md §5, xapi-core.md §10.4–10.5):
 * into {@code sr_id}/{@code sr_uuid} or the pool's default SR (a 302 to a host seeing it), the 200 sent before the
 * body is read, then the archive (plain, gzip or zstd, told apart from its first bytes), {@code ova.xml} first, the
 * version check, the objects ({@link ImportObjects}), each streamed disk's chunks ({@link DiskTar.Reader}), and the
 * task's result: the new VMs. A failure undoes every object made (not with {@code force}, which also ignores checksum
 * failures) and fails the task with Xapi's import error. Memory per import: a 1 MiB chunk buffer, the decompressor's
 * window and {@code ova.xml} (at most {@link #MAX_OVA_XML}). Thread-safe.
 */
final class VmImport {
    private static final Logger LOG = LoggerFactory.getLogger(VmImport.class);
    /** The largest {@code ova.xml} read (Xapi reads it whole too). */
    static final int MAX_OVA_XML = 32 << 20;
    /** Xapi's task {@code other_config} signal that the objects exist ({@code stream_import}). */
    static final String OBJECT_CREATION = "object_creation";

    private final Datamodel dm;
    private final Db data;
    private final String hostRef;
    private final String poolRef;
    private final StorageBackends storage;
    private final HttpTasks tasks;
    private final TransferRequests requests;
    private final TransferGuard guard;
    private final AllowedOperations allowed;

    VmImport(
            Datamodel dm,
            Db data,
            String hostRef,
            String poolRef,
            StorageBackends storage,
            HttpTasks tasks,
            TransferRequests requests,
            TransferGuard guard,
            AllowedOperations allowed) {
        this.dm = dm;
        this.data = data;
        this.hostRef = hostRef;
        this.poolRef = poolRef;
        this.storage = storage;
        this.tasks = tasks;
        this.requests = requests;
        this.guard = guard;
        this.allowed = allowed;
    }

    void register(HttpHandlerTable table) {
        table.register("put_import", c -> guard.run(c, this::importVm));
        table.register("put_import_metadata", c -> guard.run(c, this::importMetadata));
    }

    /**
     * {@code PUT /import_metadata} as Xapi's {@code import.ml metadata_handler}: the 200 first, then {@code ova.xml}
     * (the rest of the body drained), its VMs, snapshots, networks, VBDs and VIFs made on the disks already here
     * ({@code vdi:<exported uuid>=<uuid here>} in the query, else the same SR uuid and location), nothing made with
     * {@code dry_run=true} (with {@code live=true} a disk not found is let through: a migration's check);
     * {@code restore} and {@code force} as for {@code /import}; with {@code check_cpu=true} a VM not halted must suit
     * this host's CPU ({@code VM_INCOMPATIBLE_WITH_THIS_HOST}). The task's result is the VMs, as an import's.
     */
    private void importMetadata(HttpCall c) throws IOException {
        String task = tasks.begin(c, "VM.metadata_import");
        boolean restore = TransferRequests.flag(c, "restore");
        boolean force = TransferRequests.flag(c, "force");
        Map<String, String> vdiMap = new java.util.LinkedHashMap<>();
        HttpParams.query(c.request()).forEach(f -> {
            if (f.getName().startsWith("vdi:") && f.getName().length() > 4)
                vdiMap.put(f.getName().substring(4), f.getValue());
        });
        Response r = c.response();
        Replies.ok(r, task, "application/octet-stream");
        HttpErrors.commit(r);
        ImportObjects objects = new ImportObjects(
                dm,
                data,
                requests.api(c),
                allowed,
                task,
                null,
                restore,
                force,
                new ImportObjects.Metadata(
                        vdiMap,
                        TransferRequests.flag(c, "dry_run"),
                        TransferRequests.flag(c, "live"),
                        TransferRequests.flag(c, "check_cpu"),
                        hostRef));
        // Xapi drains the rest of the body
        importArchive(
                c, task, objects, force, (tar, header) -> tar.transferTo(java.io.OutputStream.nullOutputStream()));
    }

    /** {@code ova.xml}, the archive's first member, read and checked against this host's version. */
    private OvaXml.Header header(TarArchiveInputStream tar) throws IOException {
        TarArchiveEntry first = tar.getNextEntry();
        if (first == null) throw new ApiError(ErrorCodes.IMPORT_ERROR_PREMATURE_EOF);
        if (!first.getName().equals(OvaXml.FILE))
            throw new ApiError(ErrorCodes.IMPORT_ERROR_UNEXPECTED_FILE, OvaXml.FILE, first.getName());
        if (first.getSize() > MAX_OVA_XML) throw OvaXml.generic("ova.xml is larger than " + MAX_OVA_XML);
        byte[] xml = tar.readNBytes((int) first.getSize());
        if (xml.length < first.getSize()) throw new ApiError(ErrorCodes.IMPORT_ERROR_PREMATURE_EOF);
        OvaXml.Header header = OvaXml.parse(xml);
        long[] mine = OvaXml.thisVersion(data, hostRef);
        if (mine[0] < header.xapiMajor() || mine[0] == header.xapiMajor() && mine[1] < header.xapiMinor())
            throw new ApiError(ErrorCodes.IMPORT_INCOMPATIBLE_VERSION);
        return header;
    }

    /** Xapi's {@code sr_of_req}, else {@code get_default_sr} ({@code DEFAULT_SR_NOT_FOUND [ref]}). */
    private String srOf(HttpCall c) {
        var given = requests.srOf(c);
        if (given.isPresent()) return given.get();
        String sr = data.get(poolRef, Pool.DEFAULT_SR);
        if (!data.exists(SR.XAPI_CLASS, sr)) throw new ApiError(ErrorCodes.DEFAULT_SR_NOT_FOUND, sr);
        return sr;
    }

    private void importVm(HttpCall c) throws IOException {
        String sr = srOf(c);
        if (requests.redirected(c, List.of(sr))) return;
        String task = tasks.begin(c, "VM.import");
        tasks.manager().setProgress(task, 0.0);
        if ("iso".equals(data.get(sr, SR.CONTENT_TYPE))) {
            tasks.fail(task, new ApiError(ErrorCodes.SR_OPERATION_NOT_SUPPORTED));
            Replies.bare(c, 400, task);
            return;
        }
        if (c.request().getHeaders().get(HttpHeader.TRANSFER_ENCODING) != null) {
            tasks.fail(task, new ApiError(ErrorCodes.IMPORT_ERROR_CANNOT_HANDLE_CHUNKED));
            Replies.bare(c, 403, task);
            return;
        }
        boolean restore = TransferRequests.flag(c, "restore");
        boolean force = TransferRequests.flag(c, "force");
        Response r = c.response();
        Replies.ok(r, task, "application/octet-stream");
        HttpErrors.commit(r);
        ImportObjects objects = new ImportObjects(dm, data, requests.api(c), allowed, task, sr, restore, force, null);
        importArchive(c, task, objects, force, disksOf(objects, task, force));
    }

    /** A full import's middle: the task says the objects exist, then the disks are received. */
    private Middle disksOf(ImportObjects objects, String task, boolean force) {
        return (tar, header) -> {
            data.addToMap(task, Task.OTHER_CONFIG, OBJECT_CREATION, "complete");
            receiveDisks(tar, header, objects, task, force);
        };
    }

    /** What an import does between making its objects and completing. */
    private interface Middle {
        void run(TarArchiveInputStream tar, OvaXml.Header header) throws IOException;
    }

    /**
     * The archive of the request's body: {@code ova.xml} read and checked, the objects made, {@code middle}, the
     * task completed with the VMs and the answer ended; a failure undoes the objects (not with {@code force}), fails
     * the task with Xapi's import error and cuts the connection.
     */
    private void importArchive(HttpCall c, String task, ImportObjects objects, boolean force, Middle middle)
            throws IOException {
        try (InputStream body = Content.Source.asInputStream(c.request())) {
            List<String> vms = readArchive(body, task, objects, force, middle);
            tasks.complete(task, XmlRpcWriter.toString(vms));
            c.response().write(true, ByteBuffer.allocate(0), c.callback());
        } catch (IOException | RuntimeException e) {
            Replies.abort(c, tasks, task, e, importError(e));
        }
    }

    /**
     * A full import of {@code body} into {@code sr} under {@code task} ({@code VM.import}'s {@code stream_import}):
     * the VMs made, or Xapi's import error once what was made is undone (not with {@code force}).
     */
    List<String> importStream(InputStream body, String task, XenApi api, String sr, boolean restore, boolean force) {
        ImportObjects objects = new ImportObjects(dm, data, api, allowed, task, sr, restore, force, null);
        try {
            return readArchive(body, task, objects, force, disksOf(objects, task, force));
        } catch (IOException | RuntimeException e) {
            throw importError(e);
        }
    }

    /**
     * {@code ova.xml} read and checked, the objects made, {@code middle}: the VMs; a failure undoes the objects (not
     * with {@code force}) and is thrown on.
     */
    private List<String> readArchive(InputStream body, String task, ImportObjects objects, boolean force, Middle middle)
            throws IOException {
        boolean made = false;
        try {
            TarArchiveInputStream tar = new TarArchiveInputStream(open(body));
            OvaXml.Header header = header(tar);
            made = true;
            objects.run(header.objects());
            middle.run(tar, header);
            return complete(task, objects.createdVms());
        } catch (IOException | RuntimeException e) {
            LOG.info("import of task {} failed: {}", task, e.toString());
            if (made && !force) objects.cleanup();
            throw e;
        }
    }

    /**
     * Xapi's {@code with_open_archive}: a tar whose first header is sound is read as it is; else zstd when it starts
     * with zstd's magic, else gzip.
     */
    static InputStream open(InputStream body) throws IOException {
        BufferedInputStream in = new BufferedInputStream(body, 1 << 16);
        in.mark(512);
        byte[] head = in.readNBytes(512);
        in.reset();
        if (soundTarHeader(head)) return in;
        if (head.length >= 4
                && head[0] == 0x28
                && (head[1] & 0xff) == 0xb5
                && head[2] == 0x2f
                && (head[3] & 0xff) == 0xfd) return new ZstdInputStream(in);
        return new GZIPInputStream(in, 1 << 16);
    }

    /** A 512-byte tar header whose checksum field matches its bytes. */
    static boolean soundTarHeader(byte[] h) {
        if (h.length < 512 || h[0] == 0) return false;
        long sum = 0;
        for (int i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? ' ' : h[i] & 0xff;
        String field = new String(h, 148, 8, StandardCharsets.US_ASCII)
                .replace('\0', ' ')
                .trim();
        try {
            return !field.isEmpty() && Long.parseLong(field, 8) == sum;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * The disks the archive streams ({@code non_cdrom_vdis}: those of its non-CD VBDs and the suspend images of its
     * Suspended VMs, not on an ISO SR, that the import made), in the lexicographic order of their ids.
     */
    private void receiveDisks(
            TarArchiveInputStream tar, OvaXml.Header header, ImportObjects objects, String task, boolean force)
            throws IOException {
        java.util.TreeSet<String> ids = new java.util.TreeSet<>();
        for (OvaXml.Obj o : header.objects()) {
            if (o.cls().equals(VBD.XAPI_CLASS)) {
                Map<String, Object> vbd = objects.exported(VBD.XAPI_CLASS, o.id());
                if (!VbdType.CD.wire().equals(Db.value(vbd, VBD.TYPE))) ids.add(Db.value(vbd, VBD.VDI));
            } else if (o.cls().equals(VM.XAPI_CLASS)) {
                Map<String, Object> vm = objects.exported(VM.XAPI_CLASS, o.id());
                if (VmPowerState.SUSPENDED.wire().equals(Db.value(vm, VM.POWER_STATE)))
                    ids.add(Db.value(vm, VM.SUSPEND_VDI));
            }
        }
        List<String> disks = new ArrayList<>();
        long total = 0;
        for (String id : ids) {
            String vdi = objects.lookup(id);
            if (vdi == null || !data.get(vdi, VDI.SM_CONFIG).containsKey(ImportObjects.IMPORT_TASK)) continue;
            Map<String, Object> exported = objects.exported(VDI.XAPI_CLASS, id);
            String sr = Db.value(exported, VDI.SR);
            if (objects.lookup(sr) == null) continue; // on an ISO SR
            disks.add(id);
            total += Db.value(exported, VDI.VIRTUAL_SIZE);
        }
        RawVdiTransfer.Progress progress = new RawVdiTransfer.Progress(tasks, task, total);
        DiskTar.Reader reader = new DiskTar.Reader(tar, !force && header.exportVsn() > 0);
        long done = 0;
        int n = 0;
        for (String id : disks) {
            String vdi = objects.lookup(id);
            long size = Db.value(objects.exported(VDI.XAPI_CLASS, id), VDI.VIRTUAL_SIZE);
            String dp = "import/" + task + "/" + n++;
            Path path = storage.attach(vdi, true, dp);
            try (FileChannel out = FileChannel.open(path, StandardOpenOption.WRITE)) {
                progress.base(done);
                reader.disk(id, new DiskWriter(out, size, true), progress);
                out.force(false);
            } catch (ApiError e) {
                // a misplaced member or a wrong checksum: Xapi's exceptions there become IMPORT_ERROR [message]
                if (e.code().equals(ErrorCodes.INTERNAL_ERROR))
                    throw OvaXml.generic(e.params().get(0));
                throw e;
            } finally {
                TransferRequests.detach(storage, dp);
            }
            done += size;
        }
        tasks.manager().checkCancelled(task);
    }

    /**
     * Xapi's {@code complete_import}: the VMs lose their {@code import} operation; the result is those that are not
     * snapshots (all of them when only snapshots were imported).
     */
    private List<String> complete(String task, List<String> vms) {
        for (String vm : vms) {
            data.removeFromMap(vm, VM.CURRENT_OPERATIONS, task);
            allowed.update(VM.XAPI_CLASS, vm);
        }
        List<String> plain = new ArrayList<>();
        for (String vm : vms) if (!data.get(vm, VM.IS_A_SNAPSHOT)) plain.add(vm);
        return plain.isEmpty() ? vms : plain;
    }

    /** Xapi's {@code with_error_handling}: what the task fails with. */
    static ApiError importError(Exception e) {
        if (e instanceof ApiError a) return a;
        if (e instanceof EOFException
                || e.getMessage() != null
                        && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("truncated"))
            return new ApiError(ErrorCodes.IMPORT_ERROR_PREMATURE_EOF);
        return OvaXml.generic(e.toString());
    }
}
