package org.xapijava.cli.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.cli.protocol.CliMessage;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.model.api.enums.LivepatchStatus;
import org.xapijava.model.client.XenApi;

/** The patch and update commands of {@code cli_operations.ml}: uploads over HTTP, then the pool_patch and pool_update calls. */
final class PatchUpdateCommands {
    private PatchUpdateCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("patch-upload", PatchUpdateCommands::patchUpload);
        t.put("patch-clean", c -> c.api().poolPatch().clean(patch(c)));
        t.put("patch-pool-clean", c -> c.api().poolPatch().poolClean(patch(c)));
        t.put("patch-destroy", c -> c.api().poolPatch().destroy(patch(c)));
        t.put("patch-apply", c -> {
            String patch = patch(c);
            String host = c.api().host().getByUuid(c.params().get("host-uuid"));
            c.out().list(List.of(c.api().poolPatch().apply(patch, host)));
        });
        t.put("patch-precheck", c -> {
            String patch = patch(c);
            String host = c.api().host().getByUuid(c.params().get("host-uuid"));
            c.out().list(List.of(c.api().poolPatch().precheck(patch, host)));
        });
        t.put("patch-pool-apply", c -> c.api().poolPatch().poolApply(patch(c)));
        t.put("update-upload", PatchUpdateCommands::updateUpload);
        t.put("update-introduce", c -> {
            String vdi = c.api().vdi().getByUuid(c.params().get("vdi-uuid"));
            String update = c.api().poolUpdate().introduce(vdi);
            c.out().list(List.of(c.api().poolUpdate().getUuid(update)));
        });
        t.put("update-precheck", c -> {
            String uuid = c.params().get("uuid");
            List<LivepatchStatus> results = Selectors.hosts(c, true, Set.of("uuid"), h -> {
                String update = c.api().poolUpdate().getByUuid(uuid);
                return c.api().poolUpdate().precheck(update, h.ref());
            });
            List<String> shown = new ArrayList<>();
            for (LivepatchStatus s : results) shown.add(livepatchText(s));
            c.out().list(shown);
        });
        t.put("update-apply", c -> {
            String uuid = c.params().get("uuid");
            Selectors.hosts(c, true, Set.of("uuid"), h -> {
                String update = c.api().poolUpdate().getByUuid(uuid);
                c.api().poolUpdate().apply(update, h.ref());
                return null;
            });
        });
        t.put("update-pool-apply", c -> c.api().poolUpdate().poolApply(update(c)));
        t.put("update-pool-clean", c -> c.api().poolUpdate().poolClean(update(c)));
        t.put("update-destroy", c -> c.api().poolUpdate().destroy(update(c)));
        t.put(
                "update-resync-host",
                c -> c.api()
                        .poolUpdate()
                        .resyncHost(c.api().host().getByUuid(c.params().get("host-uuid"))));
    }

    private static String patch(CommandContext c) {
        return c.api().poolPatch().getByUuid(c.params().get("uuid"));
    }

    private static String update(CommandContext c) {
        return c.api().poolUpdate().getByUuid(c.params().get("uuid"));
    }

    /** Xapi's {@code livepatch_status_to_string}. */
    private static String livepatchText(LivepatchStatus s) {
        return switch (s) {
            case OK -> "Ok.";
            case OK_LIVEPATCH_COMPLETE -> "Ok: Patch can be applied without reboot.";
            case OK_LIVEPATCH_INCOMPLETE -> "Ok: Patch can be applied, but a reboot will be required.";
        };
    }

    /** The patch PUT to {@code /pool_patch_upload} into the pool's default SR; its update's VDI renamed. */
    private static void patchUpload(CommandContext c) throws Exception {
        XenApi api = c.api();
        String filename = c.params().get("file-name");
        String result = TransferCommands.trackHttp(c, "host patch upload", task -> {
            String sr = api.pool().getDefaultSR(api.pool().getAll().get(0));
            return new CliMessage.HttpPut(
                    filename, "/pool_patch_upload?session_id=" + c.session() + "&sr_id=" + sr + "&task_id=" + task);
        });
        String patch = TransferCommands.refsOf(result).stream().findFirst().orElse(result);
        String uuid = api.poolPatch().getUuid(patch);
        nameUpdateVdi(api, api.poolPatch().getPoolUpdate(patch));
        c.conn().print(uuid);
    }

    /**
     * The update PUT to {@code /import_raw_vdi} as a new VDI of {@code sr-uuid} (else the pool's default SR), then
     * introduced; the VDI is destroyed when the introduction fails.
     */
    private static void updateUpload(CommandContext c) throws Exception {
        XenApi api = c.api();
        String filename = c.params().get("file-name");
        String result = TransferCommands.trackHttp(c, "host patch upload", task -> {
            String sr;
            if (c.params().has("sr-uuid")) {
                sr = api.sr().getByUuid(c.params().get("sr-uuid"));
            } else {
                String uuid = VmCommands.defaultSrUuid(api);
                if (uuid == null) {
                    throw new CliFailure("No sr-uuid parameter was given, and the pool's default SR is"
                            + " unspecified or invalid. Please explicitly specify the SR to use in the sr-uuid"
                            + " parameter, or set the pool's default SR.");
                }
                sr = api.sr().getByUuid(uuid);
            }
            return new CliMessage.HttpPut(
                    filename, "/import_raw_vdi?session_id=" + c.session() + "&sr_id=" + sr + "&task_id=" + task);
        });
        String vdi = TransferCommands.refsOf(result).stream().findFirst().orElse(result);
        String update;
        try {
            update = api.poolUpdate().introduce(vdi);
        } catch (RuntimeException e) {
            api.vdi().destroy(vdi);
            throw e;
        }
        String uuid = api.poolUpdate().getUuid(update);
        nameUpdateVdi(api, update);
        c.conn().print(uuid);
    }

    /** Xapi's {@code set_update_vdi_name}: {@code Update: <name-label>}. */
    private static void nameUpdateVdi(XenApi api, String update) {
        String vdi = api.poolUpdate().getVdi(update);
        api.vdi().setNameLabel(vdi, "Update: " + api.poolUpdate().getNameLabel(update));
    }
}
