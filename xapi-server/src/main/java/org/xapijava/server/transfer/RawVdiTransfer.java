package org.xapijava.server.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.enums.VdiType;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.HttpErrors;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.HttpParams;
import org.xapijava.server.http.HttpTasks;
import org.xapijava.server.storage.StorageBackends;

/**
 * {@code GET /export_raw_vdi} and {@code PUT /import_raw_vdi} as Xapi's {@code export_raw_vdi.ml} and
 * {@code import_raw_vdi.ml} (reference/http-handlers.md §7–8) for the {@code raw}, {@code vhd}, {@code tar} and
 * {@code qcow2} formats: a VDI's
 * whole virtual size out, or its blocks holding data as a dynamic VHD ({@link VhdStreams}); in, a body (plain, or
 * Xapi's {@code chunked} framing of {@code {offset, length}} + data, or a dynamic or differencing VHD) written into it,
 * read directly from its image chain when that is safe, else through a datapath of the transfer's own on this host
 * ({@link ExportDisk}; imports always through a datapath, {@link StorageBackends#attach(String, boolean, String)});
 * progress and cancellation through the transfer's task ({@link HttpTasks}). A VDI whose SR this host does not
 * see is redirected (302) to a host that does. {@code qcow2} goes out (also against a {@code base=}) and in as
 * {@link Qcow2Streams}.
 * Memory per transfer: a block buffer (1 MiB raw, 2 MiB VHD); at most {@code max-transfers} transfers at once
 * ({@link TransferGuard}). Thread-safe.
 */
public final class RawVdiTransfer {
    private static final Logger LOG = LoggerFactory.getLogger(RawVdiTransfer.class);
    static final int BLOCK = 1 << 20;
    /** Xapi's parameters of {@code VDI_IO_ERROR} for a failed copy. */
    static final String IO_ERRORS = "Device I/O errors";

    private final Db data;
    private final StorageBackends storage;
    private final HttpTasks tasks;
    private final TransferRequests requests;
    private final TransferGuard guard;

    RawVdiTransfer(Db data, StorageBackends storage, HttpTasks tasks, TransferRequests requests, TransferGuard guard) {
        this.data = data;
        this.storage = storage;
        this.tasks = tasks;
        this.requests = requests;
        this.guard = guard;
    }

    /** Registers {@code get_export_raw_vdi} and {@code put_import_raw_vdi}. */
    public void register(HttpHandlerTable table) {
        table.register("get_export_raw_vdi", c -> guard.run(c, this::export));
        table.register("put_import_raw_vdi", c -> guard.run(c, this::importRaw));
    }

    // ------------------------------------------------------------------------------------------------ export

    private void export(HttpCall c) throws IOException {
        String vdi = vdiOf(c).orElseThrow(() -> ApiError.internal("Missing vdi query parameter"));
        String sr = data.get(vdi, VDI.SR);
        if (requests.redirected(c, java.util.List.of(sr))) return;
        String task = tasks.begin(c, "Exporting raw VDI");
        Format format = Format.of(c);
        if (format == null) {
            tasks.fail(
                    task,
                    ApiError.internal("Unknown format " + c.param("format").orElse("")));
            Replies.bare(c, 404, task);
            return;
        }
        String base =
                c.param("base").map(b -> requests.refOrUuid(VDI.XAPI_CLASS, b)).orElse(null);
        if (base != null && format != Format.VHD && format != Format.QCOW2) {
            String what = "format=" + format.name + (base != null ? " with base=" : "");
            tasks.fail(task, new ApiError(ErrorCodes.NOT_IMPLEMENTED, "export_raw_vdi " + what));
            Replies.bare(c, 500, task);
            return;
        }
        long size = data.get(vdi, VDI.VIRTUAL_SIZE);
        if (format == Format.VHD && size > Vhd.MAX_SIZE) {
            ApiError tooLarge = new ApiError(ErrorCodes.VDI_TOO_LARGE, vdi, Long.toString(Vhd.MAX_SIZE));
            tasks.fail(task, tooLarge);
            throw tooLarge;
        }
        String dp = "export_raw_vdi/" + task;
        // an export against a base reads both through datapaths: the VHD's parent locator names the base's
        ExportDisk old = null;
        ExportDisk disk = null;
        try {
            old = base == null ? null : open(task, base, dp + "/base", false);
            disk = open(task, vdi, dp, base == null);
            Response r = c.response();
            var h = Replies.ok(r, task, format.contentType);
            h.put(
                    "Content-Disposition",
                    "attachment; filename=\"" + data.get(vdi, VDI.UUID) + "." + format.name + "\"");
            Progress progress = new Progress(tasks, task, size);
            OutputStream out = Content.Sink.asOutputStream(r);
            DiskReader in = disk.reader();
            DiskReader was = old == null ? null : old.reader();
            switch (format) {
                case VHD ->
                    VhdStreams.write(in, was, parent(base, old == null ? null : old.path()), out, size, progress);
                case QCOW2 -> Qcow2Streams.write(in, was, out, size, progress);
                case TAR ->
                    DiskTar.write(in, size, DiskTar.PREFIX, out, b -> Content.Sink.write(r, false, b), progress);
                default -> copyOut(in, r, size, progress);
            }
            // the body ends once the disks are released: a client may use the VDI as soon as it has read it all
            old = ExportDisk.close(old);
            disk = ExportDisk.close(disk);
            tasks.complete(task, "");
            out.close();
            c.callback().succeeded();
        } catch (Refused e) {
            throw (ApiError) e.getCause();
        } catch (IOException | RuntimeException e) {
            Replies.abort(c, tasks, task, e, new ApiError(ErrorCodes.VDI_IO_ERROR, IO_ERRORS));
        } finally {
            ExportDisk.close(old);
            ExportDisk.close(disk);
        }
    }

    /** {@code vdi} opened for an export ({@link ExportDisk}); a refusal fails {@code task} too. */
    private ExportDisk open(String task, String vdi, String dp, boolean mayReadDirectly) throws IOException {
        try {
            return ExportDisk.open(storage, vdi, dp, mayReadDirectly);
        } catch (ApiError e) {
            tasks.fail(task, e);
            throw new Refused(e);
        }
    }

    /** A disk's refusal, raised again as it is once the export's disks are released. */
    private static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(ApiError e) {
            super(e);
        }
    }

    /**
     * The parent a differencing export names: the base VDI's uuid as its unique id (a VDI here has no VHD file whose
     * footer vhd-tool would quote), the attached base's modification time and path.
     */
    private Vhd.Parent parent(String base, Path basePath) throws IOException {
        if (base == null) return null;
        long mtime =
                java.nio.file.Files.getLastModifiedTime(basePath).toInstant().getEpochSecond();
        return new Vhd.Parent(
                java.util.UUID.fromString(data.get(base, VDI.UUID)),
                Math.max(0, mtime - Vhd.VHD_EPOCH),
                basePath.toString());
    }

    /**
     * The VDI's {@code size} bytes from {@code in}, zeros past its end (a driver's file may be shorter), into the
     * response through a direct buffer: a disk read directly goes from the page cache to the socket with one copy in
     * between ({@link DiskReader#read(long, long, ByteBuffer)}).
     */
    private static void copyOut(DiskReader in, Response out, long size, Progress progress) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(BLOCK);
        for (long done = 0; done < size; ) {
            progress.check();
            int n = in.read(done, size, buf);
            Content.Sink.write(out, false, buf.clear().limit(n));
            done += n;
            progress.at(done);
        }
    }

    // ------------------------------------------------------------------------------------------------ import

    private void importRaw(HttpCall c) throws IOException {
        String vdi = vdiOf(c).orElse(null);
        String sr = vdi != null ? data.get(vdi, VDI.SR) : requests.srOf(c).orElse(null);
        if (sr == null) {
            c.param(HttpParams.TASK_ID).ifPresent(t -> tasks.fail(t, new ApiError(ErrorCodes.VDI_MISSING)));
            Replies.bare(c, 400, null);
            return;
        }
        if (requests.redirected(c, java.util.List.of(sr))) return;
        String task = tasks.begin(c, "Importing raw VDI");
        boolean chunked = c.param("chunked").isPresent();
        Format format = Format.of(c);
        String encoding = c.request().getHeaders().get(HttpHeader.TRANSFER_ENCODING);
        String refusal = format == null
                ? "Unknown format " + c.param("format").orElse("")
                : format != Format.RAW && chunked
                        ? "Cannot handle chunked VHD"
                        : encoding != null ? "Cannot handle encoding: " + encoding : null;
        if (refusal != null) {
            tasks.fail(task, ApiError.internal(refusal));
            Replies.bare(c, 404, task);
            return;
        }
        long length = c.request().getLength();
        boolean created = false;
        if (vdi == null) {
            if (format == Format.VHD || format == Format.QCOW2) {
                String what = format == Format.VHD ? "a VHD" : "a QCOW2";
                tasks.fail(task, ApiError.internal("Importing " + what + " directly into an SR not yet supported"));
                Replies.bare(c, 400, task);
                return;
            }
            if (length < 0 || chunked || format != Format.RAW) {
                tasks.fail(task, ApiError.internal("Not enough info supplied to import"));
                Replies.bare(c, 400, task);
                return;
            }
            try {
                Map<String, Object> rec = new java.util.LinkedHashMap<>();
                rec.put(VDI.NAME_LABEL.name(), "Imported VDI");
                rec.put(VDI.NAME_DESCRIPTION.name(), "");
                rec.put(VDI.SR.name(), sr);
                rec.put(VDI.VIRTUAL_SIZE.name(), length);
                rec.put(VDI.TYPE.name(), VdiType.USER.wire());
                rec.put(VDI.SHARABLE.name(), false);
                rec.put(VDI.READ_ONLY.name(), false);
                rec.put(VDI.OTHER_CONFIG.name(), Map.of());
                rec.put(VDI.XENSTORE_DATA.name(), Map.of());
                rec.put(VDI.SM_CONFIG.name(), Map.of());
                rec.put(VDI.TAGS.name(), java.util.List.of());
                vdi = requests.api(c).vdi().create(rec);
            } catch (ApiError e) {
                tasks.fail(task, e);
                throw e;
            }
            created = true;
        }
        long size = data.get(vdi, VDI.VIRTUAL_SIZE);
        String dp = "import_raw_vdi/" + task;
        Path path = attach(task, vdi, true, dp);
        try {
            Response r = c.response();
            Replies.ok(r, task, Format.RAW.contentType);
            // the 200 goes before the body is read, as Xapi's: Xen Orchestra's client first sends an empty probe
            // PUT (to catch a 302) and only looks at its status line
            HttpErrors.commit(r);
            Progress progress = new Progress(tasks, task, length > 0 ? length : size);
            try (InputStream in = Content.Source.asInputStream(c.request());
                    FileChannel out = FileChannel.open(path, StandardOpenOption.WRITE)) {
                DiskWriter w = new DiskWriter(out, size, created);
                if (format == Format.VHD) VhdStreams.read(in, w, progress);
                else if (format == Format.QCOW2) Qcow2Streams.read(in, w, progress);
                else if (format == Format.TAR) DiskTar.read(in, DiskTar.PREFIX, w, progress);
                else if (chunked) ChunkedRaw.read(in, w, progress);
                else w.stream(in, progress);
                out.force(false);
            }
            dp = detach(dp); // before the answer, as for an export
            tasks.complete(task, "<value>" + vdi + "</value>");
            r.write(true, ByteBuffer.allocate(0), c.callback());
        } catch (IOException | RuntimeException e) {
            Replies.abort(c, tasks, task, e, new ApiError(ErrorCodes.VDI_IO_ERROR, IO_ERRORS));
        } finally {
            detach(dp);
        }
    }

    // ------------------------------------------------------------------------------------------------ common

    /** {@code vdi} attached on this host through datapath {@code dp}; a refusal fails {@code task} too. */
    private Path attach(String task, String vdi, boolean writable, String dp) {
        try {
            return storage.attach(vdi, writable, dp);
        } catch (ApiError e) {
            tasks.fail(task, e);
            throw e;
        }
    }

    private String detach(String dp) {
        return TransferRequests.detach(storage, dp);
    }

    /** Xapi's {@code vdi_of_req}: {@code vdi} as a reference when it is one, else as a uuid. */
    private Optional<String> vdiOf(HttpCall c) {
        return c.param(HttpParams.VDI).map(v -> requests.refOrUuid(VDI.XAPI_CLASS, v));
    }

    /** Xapi's {@code Importexport.Format}: the {@code format} parameter, case-insensitive, raw by default. */
    enum Format {
        RAW("raw", "application/octet-stream"),
        VHD("vhd", "application/vhd"),
        TAR("tar", "application/x-tar"),
        QCOW2("qcow2", "application/x-qemu-disk");

        final String name;
        final String contentType;

        Format(String name, String contentType) {
            this.name = name;
            this.contentType = contentType;
        }

        /** The call's format; null when unknown. */
        static Format of(HttpCall c) {
            String f = c.param("format").orElse("raw").toLowerCase(Locale.ROOT);
            for (Format x : values()) if (x.name.equals(f)) return x;
            return null;
        }
    }

    /** Task progress at most every 1 %, and the task's cancellation noticed between blocks. */
    static final class Progress {
        /** No task: nothing reported, nothing cancels (tests, internal copies). */
        static final Progress NONE = new Progress(null, null, 1);

        private final HttpTasks tasks;
        private final String task;
        private final long total;
        private double reported;
        /** Bytes done before the current disk (an archive of several disks). */
        private long base;

        Progress(HttpTasks tasks, String task, long total) {
            this.tasks = tasks;
            this.task = task;
            this.total = Math.max(1, total);
        }

        void check() {
            if (tasks == null) return;
            if (tasks.manager().isCancelling(task)) throw new ApiError(ErrorCodes.TASK_CANCELLED, task);
        }

        /** The next {@link #at} counts from {@code done} bytes (the disks before this one). */
        void base(long done) {
            base = done;
        }

        void at(long done) {
            if (tasks == null) return;
            double p = Math.min(1.0, (double) (base + done) / total);
            if (p - reported >= 0.01) {
                reported = p;
                tasks.manager().setProgress(task, p);
            }
        }
    }
}
