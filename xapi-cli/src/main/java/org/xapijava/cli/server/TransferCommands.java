package org.xapijava.cli.server;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.xapijava.cli.protocol.CliMessage;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.model.api.enums.TaskStatusType;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;

/**
 * The commands that move files through the client ({@code HttpGet}/{@code HttpPut}): VM export and import, raw
 * disk import and export, the database dump; with Xapi's task handling ({@code cli_util.ml track_http_operation},
 * {@code cli_operations.ml download_file}).
 */
final class TransferCommands {
    private static final Set<String> EXPORT_OWN = Set.of(
            "filename", "metadata", "compress", "preserve-power-state", "include-snapshots", "excluded-device-types");

    private TransferCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("vm-export", c -> {
            String filename = c.params().get("filename");
            AtomicInteger num = new AtomicInteger(1);
            Selectors.vms(c, Selectors.VmScope.ORDINARY, true, EXPORT_OWN, vm -> {
                export(c, filename, num, vm.ref(), (String) vm.raw().get("uuid"));
                return null;
            });
        });
        t.put("template-export", c -> exportOf(c, "template"));
        t.put("snapshot-export-to-template", c -> exportOf(c, "snapshot"));
        t.put("vm-import", TransferCommands::vmImport);
        t.put("audit-log-get", TransferCommands::auditLogGet);
        t.put("vdi-import", c -> {
            String vdi = c.api().vdi().getByUuid(c.params().get("uuid"));
            String format = c.params().opt("format").map(f -> "&format=" + f).orElse("");
            trackHttp(
                    c,
                    "VDI import",
                    task -> new CliMessage.HttpPut(
                            c.params().get("filename"),
                            "/import_raw_vdi?session_id=" + c.session() + "&task_id=" + task + "&vdi=" + vdi + format));
        });
        t.put("vdi-export", c -> {
            String vdi = c.api().vdi().getByUuid(c.params().get("uuid"));
            String format = c.params().opt("format").map(f -> "&format=" + f).orElse("");
            String base = c.params().opt("base").map(b -> "&base=" + b).orElse("");
            trackHttp(
                    c,
                    "VDI export",
                    task -> new CliMessage.HttpGet(
                            c.params().get("filename"),
                            "/export_raw_vdi?session_id=" + c.session() + "&task_id=" + task + "&vdi=" + vdi + format
                                    + base));
        });
    }

    /** Xapi's {@code vm_export_aux}: a template's or snapshot's export by its uuid. */
    private static void exportOf(CommandContext c, String kind) throws IOException {
        String uuid = c.params().get(kind + "-uuid");
        String vm = c.api().vm().getByUuid(uuid);
        boolean ok = kind.equals("template")
                ? c.api().vm().getIsATemplate(vm)
                : c.api().vm().getIsASnapshot(vm);
        if (!ok) {
            throw new CliFailure("This operation can only be performed on a VM " + kind + ". " + uuid + " is not a VM "
                    + kind + ".");
        }
        export(c, c.params().get("filename"), new AtomicInteger(1), vm, uuid);
    }

    /** Xapi's {@code export_common}: a task marked -1 until the handler owns it, then {@code download_file}. */
    private static void export(CommandContext c, String filename, AtomicInteger num, String vm, String vmUuid)
            throws IOException {
        XenApi api = c.api();
        Params p = c.params();
        boolean metadata = p.bool("metadata", false);
        String path = metadata ? "/export_metadata" : "/export";
        String extra = metadata ? "&excluded_device_types=" + p.getOr("excluded-device-types", "") : "";
        String compression = switch (p.getOr("compress", "")) {
            case "true", "gzip" -> "gzip";
            case "zstd" -> "zstd";
            default -> "false";
        };
        String task;
        boolean own = !p.has("task-uuid");
        task = own ? api.task().create("Export of VM", vmUuid) : api.task().getByUuid(p.get("task-uuid"));
        api.task().setProgress(task, -1.0);
        try {
            int n = num.getAndIncrement();
            String f = n > 1 ? filename + n : filename;
            download(
                    c,
                    task,
                    f,
                    path + "?session_id=" + c.session() + "&task_id=" + task + "&ref=" + vm
                            + "&use_compression=" + compression + "&preserve_power_state="
                            + p.bool("preserve-power-state", false) + "&export_snapshots="
                            + p.bool("include-snapshots", false)
                            + extra,
                    "Export");
        } finally {
            if (own) destroyQuietly(api, task);
        }
    }

    /**
     * Xapi's {@code audit_log_get}: {@code since} and the file name cut to 255 characters, then {@code
     * download_file_with_task} of {@code /audit_log} (a task of its own at progress -1, destroyed at the end).
     */
    private static void auditLogGet(CommandContext c) throws IOException {
        String filename = c.params().get("filename");
        String since = c.params().getOr("since", "");
        if (since.length() > 255) since = since.substring(0, 255);
        String label = "audit-log-get" + (since.isEmpty() ? " " : " (since \"" + since + "\") ") + "into file "
                + (filename.length() <= 255 ? filename : filename.substring(0, 255));
        String query = since.isEmpty()
                ? ""
                : "&since=" + java.net.URLEncoder.encode(since, java.nio.charset.StandardCharsets.UTF_8);
        XenApi api = c.api();
        String task = api.task().create(label, "");
        api.task().setProgress(task, -1.0);
        try {
            download(c, task, filename, "/audit_log?session_id=" + c.session() + "&task_id=" + task + query, label);
        } finally {
            destroyQuietly(api, task);
        }
    }

    /** Xapi's {@code download_file}. */
    static void download(CommandContext c, String task, String filename, String uri, String label) throws IOException {
        XenApi api = c.api();
        CliMessage.Response r = c.conn().awaitTransfer(new CliMessage.HttpGet(filename, uri));
        boolean ok = r == CliMessage.Response.OK;
        if (!ok && api.task().getProgress(task) < 0.0) api.task().setStatus(task, TaskStatusType.FAILURE);
        outcome(c, task, ok, !filename.isEmpty(), label);
    }

    /**
     * The end of Xapi's {@code download_file} (and of {@code blob_get}/{@code blob_put}): waits for the task, then
     * {@code <label> succeeded} (when {@code print}), or the failure as Xapi reports it.
     */
    static void outcome(CommandContext c, String task, boolean ok, boolean print, String label) {
        XenApi api = c.api();
        Tasks.track(api, task, null);
        switch (api.task().getStatus(task)) {
            case SUCCESS -> {
                if (!ok) {
                    c.conn().printStderr(label + " failed, unknown error.\n");
                    throw new CliErrors.ExitWithError(1);
                }
                if (print) c.conn().print(label + " succeeded");
            }
            case FAILURE -> {
                List<String> info = api.task().getErrorInfo(task);
                if (info.isEmpty()) {
                    c.conn().printStderr(label + " failed, unknown error\n");
                } else {
                    throw new ApiError(info.get(0), info.subList(1, info.size()));
                }
            }
            case CANCELLED -> {
                c.conn().printStderr(label + " cancelled\n");
                throw new CliErrors.ExitWithError(1);
            }
            default -> {
                c.conn().printStderr("Internal error\n");
                throw new CliErrors.ExitWithError(1);
            }
        }
    }

    /**
     * Xapi's {@code track_http_operation}: a task of its own (or {@code task-uuid=}), the transfer command, the client's
     * verdict, then the task's result or error.
     *
     * @return the task's result
     */
    static String trackHttp(CommandContext c, String label, Function<String, CliMessage.Command> command)
            throws IOException, InterruptedException {
        XenApi api = c.api();
        boolean own = !c.params().has("task-uuid");
        String task = own
                ? api.task().create(label, "")
                : api.task().getByUuid(c.params().get("task-uuid"));
        try {
            CliMessage.Response r = c.params().bool("progress", false)
                    ? withProgress(c, task, command.apply(task))
                    : c.conn().awaitTransfer(command.apply(task));
            if (r == CliMessage.Response.OK) {
                Tasks.track(api, task, null);
                if (api.task().getStatus(task) == TaskStatusType.SUCCESS)
                    return api.task().getResult(task);
                List<String> info = api.task().getErrorInfo(task);
                if (info.isEmpty()) throw new ApiError("INTERNAL_ERROR");
                throw new ApiError(info.get(0), info.subList(1, info.size()));
            }
            Thread.sleep(1000); // as Xapi: the handler may still be writing the task's error
            List<String> info = api.task().getErrorInfo(task);
            if (info.isEmpty()) throw new ApiError("CLIENT_ERROR");
            throw new ApiError(info.get(0), info.subList(1, info.size()));
        } finally {
            if (own) destroyQuietly(api, task);
        }
    }

    /**
     * The transfer while Xapi's 80-column progress bar follows the task ({@code wait_for_task_completion_with_progress}):
     * the client's verdict is read on a thread of its own.
     */
    private static CliMessage.Response withProgress(CommandContext c, String task, CliMessage.Command transfer)
            throws IOException, InterruptedException {
        java.util.concurrent.CompletableFuture<CliMessage.Response> verdict =
                new java.util.concurrent.CompletableFuture<>();
        Thread reader = Thread.ofVirtual().name("cli-transfer").start(() -> {
            try {
                verdict.complete(c.conn().awaitTransfer(transfer));
            } catch (Throwable e) {
                verdict.completeExceptionally(e);
            }
        });
        ProgressBar bar = new ProgressBar(80);
        // followed until the task ends; a client that failed ends it too (the handler may never have run)
        Tasks.track(
                c.api(),
                task,
                p -> {
                    if (bar.update(p)) c.conn().printStderr("\r" + bar.text());
                },
                () -> verdict.isDone() && verdict.getNow(CliMessage.Response.OK) != CliMessage.Response.OK);
        reader.join();
        if (c.api().task().getStatus(task) != TaskStatusType.PENDING) {
            if (bar.update(c.api().task().getProgress(task))) c.conn().printStderr("\r" + bar.text());
            c.conn().printStderr("\n");
            c.conn().printStderr(bar.summary());
        }
        try {
            return verdict.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            throw new IllegalStateException(e.getCause());
        }
    }

    private static void destroyQuietly(XenApi api, String task) {
        try {
            api.task().destroy(task);
        } catch (ApiError e) {
            // gone already
        }
    }

    private static void vmImport(CommandContext c) throws Exception {
        XenApi api = c.api();
        Params p = c.params();
        String sr;
        if (p.has("sr-uuid")) {
            sr = api.sr().getByUuid(p.get("sr-uuid"));
        } else {
            String uuid = VmCommands.defaultSrUuid(api);
            if (uuid == null) throw new CliFailure("No SR specified and Pool default SR is null");
            sr = api.sr().getByUuid(uuid);
        }
        boolean restore = p.bool("preserve", false);
        boolean metadata = p.bool("metadata", false);
        boolean force = p.bool("force", false);
        boolean dryRun = p.bool("dry-run", false);
        if (p.has("url") && p.has("filename")) {
            c.conn()
                    .printStderr(
                            "Invalid arguments. The 'url' and 'filename' parameters should not both be specified.\n");
            throw new CliErrors.ExitWithError(1);
        }
        if (!p.getOr("type", "default").equals("default")) throw new ApiError("NOT_IMPLEMENTED", "VM.import_convert");
        if (p.has("url")) {
            List<String> uuids = new ArrayList<>();
            for (String vm : api.vm().import_(p.get("url"), sr, restore, force))
                uuids.add(api.vm().getUuid(vm));
            c.conn().print(String.join(",", uuids));
            return;
        }
        String filename = p.get("filename");
        if (!metadata && dryRun) {
            c.conn().printStderr("Only metadata import function support dry-run\n");
            throw new CliErrors.ExitWithError(1);
        }
        if (filename.toLowerCase(java.util.Locale.ROOT).endsWith("ova.xml")) {
            filename = filename.substring(0, filename.length() - "ova.xml".length());
        }
        StringBuilder vdis = new StringBuilder();
        for (Map.Entry<String, String> e : p.map("vdi"))
            vdis.append("&vdi:").append(e.getKey()).append('=').append(e.getValue());
        String file = filename;
        String result = trackHttp(
                c,
                "VM import",
                task -> new CliMessage.HttpPut(
                        file,
                        (metadata ? "/import_metadata" : "/import") + "?session_id=" + c.session() + "&task_id=" + task
                                + "&restore=" + restore + "&force=" + force + "&dry_run=" + dryRun + "&sr_id=" + sr
                                + vdis));
        List<String> uuids = new ArrayList<>();
        for (String vm : refsOf(result)) uuids.add(api.vm().getUuid(vm));
        if (uuids.isEmpty() && dryRun) uuids.add("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
        c.conn().print(String.join(",", uuids));
    }

    /** The references of a task result ({@code <value><array>...} of {@code OpaqueRef:} strings). */
    static List<String> refsOf(String result) {
        List<String> out = new ArrayList<>();
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("OpaqueRef:[0-9a-zA-Z-]+").matcher(result == null ? "" : result);
        while (m.find()) out.add(m.group());
        return out;
    }
}
