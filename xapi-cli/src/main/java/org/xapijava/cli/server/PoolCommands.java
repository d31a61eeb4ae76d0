package org.xapijava.cli.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.cli.protocol.CliMessage;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;

/** The pool, task, message, secret and session commands of {@code cli_operations.ml}. */
final class PoolCommands {
    /** Xapi's {@code fuse_time} and {@code db_restore_fuse_time}, as the CLI prints them. */
    static final String FUSE = "10.000";

    private static final String DB_RESTORE_FUSE = "30.000";

    private PoolCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("pool-sync-database", c -> c.api().pool().syncDatabase());
        t.put(
                "pool-designate-new-master",
                c -> c.api()
                        .pool()
                        .designateNewMaster(c.api().host().getByUuid(c.params().get("host-uuid"))));
        t.put("pool-join", PoolCommands::join);
        t.put("pool-eject", PoolCommands::eject);
        t.put(
                "pool-dump-database",
                c -> TransferCommands.trackHttp(
                        c,
                        "dump database",
                        task -> new CliMessage.HttpGet(
                                c.params().get("file-name"),
                                "/pool/xmldbdump?session_id=" + c.session() + "&task_id=" + task)));
        t.put("pool-restore-database", c -> {
            boolean dryRun = c.params().has("dry-run");
            if (!c.params().has("force") && !dryRun) {
                throw new CliFailure("This operation will restore the database backup to this host, making it the"
                        + " master. All slave hosts are assumed dead and they will be forgotten. This operation must be"
                        + " forced (use --force).");
            }
            TransferCommands.trackHttp(
                    c,
                    "restore database",
                    task -> new CliMessage.HttpPut(
                            c.params().get("file-name"),
                            "/pool/xmldbdump?session_id=" + c.session() + "&task_id=" + task + "&dry_run=" + dryRun));
            c.out()
                    .list(List.of(
                            dryRun
                                    ? "Dry-run backup restore successful"
                                    : "Host will reboot with restored database in " + DB_RESTORE_FUSE + " seconds..."));
        });
        t.put(
                "host-forget",
                c -> careful(
                        c,
                        List.of(
                                "WARNING: A host should only be forgotten if it is physically unrecoverable;",
                                "WARNING: if possible, Hosts should be 'ejected' from the Pool instead.",
                                "WARNING: Once a host has been forgotten it will have to be re-installed.",
                                "WARNING: This operation is irreversible."),
                        h -> c.api().host().destroy(h)));
        t.put(
                "host-declare-dead",
                c -> careful(
                        c,
                        List.of(
                                "WARNING: A host should only be declared dead if it is verified offline.",
                                "WARNING: Performing this operation if the host is still online and has any",
                                "WARNING: running VMs may lead to possible data loss and/or corruption."),
                        h -> c.api().host().declareDead(h)));
        t.put(
                "task-cancel",
                c -> c.api().task().cancel(c.api().task().getByUuid(c.params().get("uuid"))));
        t.put("message-create", PoolCommands::messageCreate);
        t.put("message-destroy", c -> {
            Params p = c.params();
            List<String> uuids;
            if (p.has("uuid") && p.has("uuids")) throw new CliFailure("Ambiguous arguments; need one of uuid, uuids");
            else if (p.has("uuid")) uuids = List.of(p.get("uuid"));
            else if (p.has("uuids")) uuids = List.of(p.get("uuids").split(",", -1));
            else throw new CliFailure("Need one of uuid, uuids");
            List<String> messages = new ArrayList<>();
            for (String u : uuids) messages.add(c.api().message().getByUuid(u));
            c.api().message().destroyMany(messages);
        });
        t.put("secret-create", c -> {
            String s = c.api()
                    .secret()
                    .create(Map.of(
                            "value",
                            c.params().get("value"),
                            "other_config",
                            c.params().mapOf("other-config")));
            c.out().list(List.of(c.api().secret().getUuid(s)));
        });
        t.put(
                "secret-destroy",
                c -> c.api()
                        .secret()
                        .destroy(c.api().secret().getByUuid(c.params().get("uuid"))));
        t.put(
                "user-password-change",
                c -> c.api()
                        .session()
                        .changePassword(c.params().getOr("old", ""), c.params().get("new")));
    }

    private static void join(CommandContext c) {
        Params p = c.params();
        try {
            if (p.bool("force", false)) {
                c.api().pool().joinForce(p.get("master-address"), p.get("master-username"), p.get("master-password"));
            } else {
                c.api().pool().join(p.get("master-address"), p.get("master-username"), p.get("master-password"));
            }
            c.out().list(List.of("Host agent will restart and attempt to join pool in " + FUSE + " seconds..."));
        } catch (ApiError e) {
            if (!e.code().equals("POOL_JOINING_HOST_CONNECTION_FAILED")) throw e;
            c.out()
                    .list(List.of(
                            "Host cannot contact destination host: connection refused.",
                            "Check destination host has services running and accessible from this host."));
        }
    }

    private static void eject(CommandContext c) throws Exception {
        XenApi api = c.api();
        String host = api.host().getByUuid(c.params().get("host-uuid"));
        if (!c.params().bool("force", false)) {
            List<String> warnings = new ArrayList<>();
            try {
                for (String pbd : api.host().getPBDs(host)) {
                    String sr = api.pbd().getSR(pbd);
                    boolean seenElsewhere = false;
                    for (String other : api.sr().getPBDs(sr)) {
                        if (!api.pbd().getHost(other).equals(host)) seenElsewhere = true;
                    }
                    if (seenElsewhere) continue;
                    for (String vdi : api.sr().getVDIs(sr)) {
                        warnings.add(
                                0,
                                "VDI: " + api.vdi().getUuid(vdi) + " ("
                                        + api.vdi().getNameLabel(vdi) + ")");
                    }
                }
            } catch (ApiError e) {
                // best effort, as Xapi
            }
            c.conn().print("WARNING: Ejecting a host from the pool will reinitialise that host's local SRs.");
            c.conn().print("WARNING: Any data contained with the local SRs will be lost.");
            if (!warnings.isEmpty()) {
                c.conn().print("The following VDI objects will be destroyed:");
                warnings.forEach(c.conn()::print);
            }
            if (!c.conn().userSaysYes()) return;
        }
        api.pool().eject(host);
        c.out()
                .list(List.of(
                        "Specified host will attempt to restart as a master of a new pool in " + FUSE + " seconds..."));
    }

    @FunctionalInterface
    private interface HostOp {
        void apply(String host);
    }

    /** Xapi's {@code host_careful_op}: warnings and a prompt unless forced. */
    private static void careful(CommandContext c, List<String> warnings, HostOp op) throws Exception {
        String host = c.api().host().getByUuid(c.params().get("uuid"));
        if (!c.params().bool("force", false)) {
            warnings.forEach(c.conn()::print);
            if (!c.conn().userSaysYes()) return;
        }
        op.apply(host);
    }

    private static void messageCreate(CommandContext c) {
        Params p = c.params();
        long priority;
        try {
            priority = Long.parseLong(p.get("priority"));
        } catch (NumberFormatException e) {
            throw new CliFailure("Priority field should be an integer");
        }
        String uuid;
        org.xapijava.model.api.enums.Cls cls;
        if (p.has("vm-uuid")) {
            uuid = p.get("vm-uuid");
            cls = org.xapijava.model.api.enums.Cls.VM;
        } else if (p.has("pool-uuid")) {
            uuid = p.get("pool-uuid");
            cls = org.xapijava.model.api.enums.Cls.POOL;
        } else if (p.has("sr-uuid")) {
            uuid = p.get("sr-uuid");
            cls = org.xapijava.model.api.enums.Cls.SR;
        } else if (p.has("host-uuid")) {
            uuid = p.get("host-uuid");
            cls = org.xapijava.model.api.enums.Cls.HOST;
        } else {
            throw new CliFailure("Need one of: vm-uuid, host-uuid, sr-uuid or pool-uuid");
        }
        c.api().message().create(p.get("name"), priority, cls, uuid, p.get("body"));
    }
}
