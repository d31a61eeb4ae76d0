package org.xapijava.cli.server;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.cli.protocol.CliMessage;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.model.api.VMAppliance;
import org.xapijava.model.api.VMSS;
import org.xapijava.model.api.enums.TaskStatusType;
import org.xapijava.model.api.enums.VmssFrequency;
import org.xapijava.model.api.enums.VmssType;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;

/**
 * The appliance ({@code VM_appliance}), snapshot schedule ({@code VMSS}), vTPM, VUSB and blob commands of
 * {@code cli_operations.ml}.
 */
final class ApplianceCommands {
    /** {@code Constants.blob_uri}. */
    static final String BLOB_URI = "/blob";

    private ApplianceCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("appliance-create", c -> {
            Map<String, Object> r = new HashMap<>();
            r.put(VMAppliance.NAME_LABEL.name(), c.params().get("name-label"));
            r.put(VMAppliance.NAME_DESCRIPTION.name(), c.params().getOr("name-description", ""));
            String app = c.api().vmAppliance().create(r);
            c.out().list(List.of(c.api().vmAppliance().getUuid(app)));
        });
        t.put("appliance-destroy", c -> c.api().vmAppliance().destroy(appliance(c)));
        t.put("appliance-start", c -> {
            boolean paused = c.params().bool("paused", false);
            c.api().vmAppliance().start(appliance(c), paused);
        });
        t.put("appliance-shutdown", c -> {
            boolean force = c.params().bool("force", false);
            String app = appliance(c);
            if (force) c.api().vmAppliance().hardShutdown(app);
            else c.api().vmAppliance().cleanShutdown(app);
        });
        t.put("appliance-recover", c -> {
            boolean force = c.params().bool("force", false);
            String uuid = c.params().get("uuid");
            withDatabaseVdi(c, db -> {
                db.vmAppliance().recover(db.vmAppliance().getByUuid(uuid), c.session(), force);
            });
        });
        t.put("appliance-assert-can-be-recovered", c -> {
            String uuid = c.params().get("uuid");
            withDatabaseVdi(c, db -> {
                db.vmAppliance().assertCanBeRecovered(db.vmAppliance().getByUuid(uuid), c.session());
            });
        });
        t.put("vmss-create", ApplianceCommands::vmssCreate);
        t.put(
                "vmss-destroy",
                c -> c.api().vmss().destroy(c.api().vmss().getByUuid(c.params().get("uuid"))));
        t.put("vtpm-create", c -> {
            String vm = c.api().vm().getByUuid(c.params().get("vm-uuid"));
            boolean unique = c.params().bool("is_unique", false) || c.params().bool("is-unique", false);
            String vtpm = c.api().vtpm().create(vm, unique);
            c.out().list(List.of(c.api().vtpm().getUuid(vtpm)));
        });
        t.put("vtpm-destroy", c -> {
            String uuid = c.params().get("uuid");
            CliArgs.failWithoutForce(c);
            c.api().vtpm().destroy(c.api().vtpm().getByUuid(uuid));
        });
        t.put("vusb-create", c -> {
            String vm = c.api().vm().getByUuid(c.params().get("vm-uuid"));
            String group = c.api().usbGroup().getByUuid(c.params().get("usb-group-uuid"));
            String vusb = c.api().vusb().create(vm, group, Map.of());
            c.out().list(List.of(c.api().vusb().getUuid(vusb)));
        });
        t.put(
                "vusb-unplug",
                c -> c.api().vusb().unplug(c.api().vusb().getByUuid(c.params().get("uuid"))));
        t.put(
                "vusb-destroy",
                c -> c.api().vusb().destroy(c.api().vusb().getByUuid(c.params().get("uuid"))));
        t.put("blob-create", ApplianceCommands::blobCreate);
        t.put("blob-get", c -> blobTransfer(c, true));
        t.put("blob-put", c -> blobTransfer(c, false));
    }

    private static String appliance(CommandContext c) {
        return c.api().vmAppliance().getByUuid(c.params().get("uuid"));
    }

    /** What runs with a session on a recovered database. */
    @FunctionalInterface
    private interface DatabaseOp {
        void run(XenApi db);
    }

    /** Xapi's {@code with_database_vdi}: a session on the database in {@code database:vdi-uuid}, logged out after. */
    static void withDatabaseVdi(CommandContext c, DatabaseOp op) {
        String uuid = null;
        for (Map.Entry<String, String> e : c.params().map("database")) {
            if (e.getKey().equals("vdi-uuid")) {
                uuid = e.getValue();
                break;
            }
        }
        if (uuid == null) {
            throw new CliFailure(
                    "A parameter of the form 'database:vdi-uuid=<uuid>' must be specified to run this" + " command.");
        }
        XenApi api = c.api();
        String session = api.vdi().openDatabase(api.vdi().getByUuid(uuid));
        XenApi db = api.withSession(session);
        try {
            op.run(db);
        } finally {
            db.session().logout();
        }
    }

    private static void vmssCreate(CommandContext c) {
        Params p = c.params();
        String name = p.get("name-label");
        String typeText = p.get("type");
        VmssType type = switch (typeText) {
            case "snapshot" -> VmssType.SNAPSHOT;
            case "checkpoint" -> VmssType.CHECKPOINT;
            case "snapshot_with_quiesce" -> VmssType.SNAPSHOT_WITH_QUIESCE;
            default ->
                throw new CliFailure("Expected 'snapshot', 'checkpoint', 'snapshot_with_quiesce', got " + typeText);
        };
        String freqText = p.get("frequency");
        VmssFrequency frequency = switch (freqText) {
            case "hourly" -> VmssFrequency.HOURLY;
            case "daily" -> VmssFrequency.DAILY;
            case "weekly" -> VmssFrequency.WEEKLY;
            default -> throw new CliFailure("Expected 'hourly', 'daily', 'weekly', got " + freqText);
        };
        Map<String, String> schedule = p.mapOf("schedule");
        String description = p.getOr("name-description", "");
        boolean enabled = p.bool("enabled", true);
        long retained;
        try {
            retained = Long.parseLong(p.getOr("retained-snapshots", "7"));
        } catch (NumberFormatException e) {
            throw new ApiError("INTERNAL_ERROR", "Failure: Int64.of_string");
        }
        Map<String, Object> r = new HashMap<>();
        r.put(VMSS.NAME_LABEL.name(), name);
        r.put(VMSS.NAME_DESCRIPTION.name(), description);
        r.put(VMSS.ENABLED.name(), enabled);
        r.put(VMSS.TYPE.name(), type.wire());
        r.put(VMSS.RETAINED_SNAPSHOTS.name(), retained);
        r.put(VMSS.FREQUENCY.name(), frequency.wire());
        r.put(VMSS.SCHEDULE.name(), schedule);
        String vmss = c.api().vmss().create(r);
        c.out().list(List.of(c.api().vmss().getUuid(vmss)));
    }

    private static void blobCreate(CommandContext c) {
        XenApi api = c.api();
        Params p = c.params();
        String name = p.get("name");
        String mime = p.getOr("mime-type", "");
        boolean pub = p.bool("public", false);
        String blob;
        if (p.has("vm-uuid")) {
            blob = api.vm().createNewBlob(api.vm().getByUuid(p.get("vm-uuid")), name, mime, pub);
        } else if (p.has("pool-uuid")) {
            blob = api.pool().createNewBlob(api.pool().getByUuid(p.get("pool-uuid")), name, mime, pub);
        } else if (p.has("sr-uuid")) {
            blob = api.sr().createNewBlob(api.sr().getByUuid(p.get("sr-uuid")), name, mime, pub);
        } else if (p.has("host-uuid")) {
            blob = api.host().createNewBlob(api.host().getByUuid(p.get("host-uuid")), name, mime, pub);
        } else if (p.has("network-uuid")) {
            blob = api.network().createNewBlob(api.network().getByUuid(p.get("network-uuid")), name, mime, pub);
        } else {
            throw new CliFailure("Need one of: vm-uuid, host-uuid, network-uuid, sr-uuid or pool-uuid");
        }
        c.out().list(List.of(api.blob().getUuid(blob)));
    }

    /**
     * Xapi's {@code blob_get}/{@code blob_put}: a task marked -1, the client's {@code HttpGet}/{@code HttpPut} of
     * {@code /blob}, then the task's outcome. This server's {@code /blob} handler does not take the task over, so a
     * task still pending when the client is done is concluded by the client's verdict.
     */
    private static void blobTransfer(CommandContext c, boolean get) throws IOException {
        XenApi api = c.api();
        String blob = api.blob().getByUuid(c.params().get("uuid"));
        String filename = c.params().get("filename");
        String task = api.task().create((get ? "Obtaining blob, ref=" : "Blob PUT, ref=") + blob, "");
        api.task().setProgress(task, -1.0);
        try {
            String uri = BLOB_URI + "?session_id=" + c.session() + "&task_id=" + task + "&ref=" + blob;
            CliMessage.Command cmd =
                    get ? new CliMessage.HttpGet(filename, uri) : new CliMessage.HttpPut(filename, uri);
            boolean ok = c.conn().awaitTransfer(cmd) == CliMessage.Response.OK;
            if (!ok && api.task().getProgress(task) < 0.0) api.task().setStatus(task, TaskStatusType.FAILURE);
            if (api.task().getStatus(task) == TaskStatusType.PENDING) {
                api.task().setStatus(task, ok ? TaskStatusType.SUCCESS : TaskStatusType.FAILURE);
            }
            TransferCommands.outcome(c, task, ok, true, get ? "Blob get" : "Blob put");
        } finally {
            try {
                api.task().destroy(task);
            } catch (ApiError e) {
                // gone already
            }
        }
    }
}
