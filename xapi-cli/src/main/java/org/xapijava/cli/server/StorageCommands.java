package org.xapijava.cli.server;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.cli.records.Sizes;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;

/** The SR, PBD, VDI and VBD commands of {@code cli_operations.ml}. */
final class StorageCommands {
    private StorageCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("sr-create", StorageCommands::srCreate);
        t.put("sr-introduce", c -> {
            Params p = c.params();
            c.api()
                    .sr()
                    .introduce(
                            p.get("uuid"),
                            p.get("name-label"),
                            p.getOr("name-description", ""),
                            p.get("type"),
                            p.getOr("content-type", ""),
                            p.bool("shared", false),
                            p.mapOf("sm-config"));
            c.out().list(List.of(p.get("uuid")));
        });
        t.put("sr-probe", c -> {
            Params p = c.params();
            c.out()
                    .list(List.of(c.api()
                            .sr()
                            .probe(hostOf(c, true), p.mapOf("device-config"), p.get("type"), p.mapOf("sm-config"))));
        });
        t.put("sr-scan", c -> c.api().sr().scan(sr(c)));
        t.put("sr-destroy", c -> c.api().sr().destroy(sr(c)));
        t.put("sr-forget", c -> c.api().sr().forget(sr(c)));
        t.put("sr-update", c -> c.api().sr().update(sr(c)));
        t.put("pbd-create", c -> {
            Params p = c.params();
            String host = c.api().host().getByUuid(p.get("host-uuid"));
            String sr = c.api().sr().getByUuid(p.get("sr-uuid"));
            Map<String, Object> r = new HashMap<>();
            r.put("host", host);
            r.put("SR", sr);
            r.put("device_config", p.mapOf("device-config"));
            r.put("other_config", Map.of());
            String pbd = c.api().pbd().create(r);
            c.out().list(List.of(c.api().pbd().getUuid(pbd)));
        });
        t.put(
                "pbd-destroy",
                c -> c.api().pbd().destroy(c.api().pbd().getByUuid(c.params().get("uuid"))));
        t.put(
                "pbd-plug",
                c -> c.api().pbd().plug(c.api().pbd().getByUuid(c.params().get("uuid"))));
        t.put(
                "pbd-unplug",
                c -> c.api().pbd().unplug(c.api().pbd().getByUuid(c.params().get("uuid"))));
        t.put("vdi-create", StorageCommands::vdiCreate);
        t.put("vdi-destroy", c -> c.api().vdi().destroy(vdi(c)));
        t.put("vdi-forget", c -> c.api().vdi().forget(vdi(c)));
        t.put("vdi-update", c -> c.api().vdi().update(vdi(c)));
        t.put("vdi-resize", c -> {
            String vdi = vdi(c);
            long size = Sizes.parse("disk-size", c.params().get("disk-size"));
            // VDI.resize_online is gone from the datamodel: the server no longer knows the call
            if (c.params().opt("online").orElse("").equals("true")) {
                throw new ApiError("MESSAGE_METHOD_UNKNOWN", "VDI.resize_online");
            }
            c.api().vdi().resize(vdi, size);
        });
        t.put("vdi-copy", StorageCommands::vdiCopy);
        t.put("vdi-clone", c -> {
            String made = c.api().vdi().clone(vdi(c), c.params().mapOf("driver-params"));
            c.params().opt("new-name-label").ifPresent(n -> c.api().vdi().setNameLabel(made, n));
            c.params().opt("new-name-description").ifPresent(n -> c.api().vdi().setNameDescription(made, n));
            c.out().list(List.of(c.api().vdi().getUuid(made)));
        });
        t.put("vdi-snapshot", c -> {
            String made = c.api().vdi().snapshot(vdi(c), c.params().mapOf("driver-params"));
            c.out().list(List.of(c.api().vdi().getUuid(made)));
        });
        t.put("vdi-unlock", c -> {
            if (!c.params().has("force")) {
                throw new CliFailure("This operation is extremely dangerous and may cause data loss. This operation"
                        + " must be forced (use --force).");
            }
            c.api().vdi().forceUnlock(vdi(c));
        });
        t.put("vdi-generate-config", c -> {
            String host = c.api().host().getByUuid(c.params().get("host-uuid"));
            c.out().list(List.of(c.api().vdi().generateConfig(host, vdi(c))));
        });
        t.put("vbd-create", StorageCommands::vbdCreate);
        t.put("vbd-destroy", c -> c.api().vbd().destroy(vbd(c)));
        t.put("vbd-eject", c -> c.api().vbd().eject(vbd(c)));
        t.put(
                "vbd-insert",
                c -> c.api()
                        .vbd()
                        .insert(vbd(c), c.api().vdi().getByUuid(c.params().get("vdi-uuid"))));
        t.put("vbd-plug", c -> c.api().vbd().plug(vbd(c)));
        t.put("vbd-unplug", StorageCommands::vbdUnplug);
    }

    private static String sr(CommandContext c) {
        return c.api().sr().getByUuid(c.params().get("uuid"));
    }

    private static String vdi(CommandContext c) {
        return c.api().vdi().getByUuid(c.params().get("uuid"));
    }

    private static String vbd(CommandContext c) {
        return c.api().vbd().getByUuid(c.params().get("uuid"));
    }

    /** Xapi's {@code parse_host_uuid}: {@code host-uuid}, else the master when alone or when asked to. */
    static String hostOf(CommandContext c, boolean defaultMaster) {
        XenApi api = c.api();
        if (c.params().has("host-uuid")) return api.host().getByUuid(c.params().get("host-uuid"));
        boolean standalone = api.host().getAll().size() == 1;
        if (standalone || defaultMaster)
            return api.pool().getMaster(api.pool().getAll().get(0));
        throw new CliFailure("Required parameter not found: host-uuid");
    }

    private static void srCreate(CommandContext c) throws Exception {
        Params p = c.params();
        boolean shared = p.bool("shared", false);
        String host = hostOf(c, shared);
        long size;
        try {
            size = Sizes.parse("physical-size", p.getOr("physical-size", "0"));
        } catch (CliFailure e) {
            size = 0;
        }
        Map<String, String> config = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : p.map("device-config")) {
            String k = e.getKey();
            if (k.endsWith("-filename")) {
                byte[] data = c.conn().load(e.getValue());
                if (data == null) {
                    c.conn().printStderr("File not found: " + e.getValue());
                    throw new CliFailure("File not found");
                }
                config.put(
                        k.substring(0, k.length() - "-filename".length()),
                        new String(data, java.nio.charset.StandardCharsets.UTF_8));
            } else {
                config.put(k, e.getValue());
            }
        }
        String sr = c.api()
                .sr()
                .create(
                        host,
                        config,
                        size,
                        p.get("name-label"),
                        p.getOr("name-description", ""),
                        p.get("type"),
                        p.getOr("content-type", ""),
                        shared,
                        p.mapOf("sm-config"));
        c.conn().print(c.api().sr().getUuid(sr));
    }

    private static void vdiCreate(CommandContext c) {
        Params p = c.params();
        String sr = c.api().sr().getByUuid(p.get("sr-uuid"));
        long size = Sizes.parse("virtual-size", p.get("virtual-size"));
        String type = p.getOr("type", "user");
        if (!List.of("system", "user", "suspend", "crashdump").contains(type)) {
            throw new CliFailure("Unknown vdi type: " + type);
        }
        Map<String, Object> r = new HashMap<>();
        r.put("name_label", p.get("name-label"));
        r.put("name_description", "");
        r.put("SR", sr);
        r.put("virtual_size", size);
        r.put("type", type);
        r.put("sharable", p.bool("sharable", false));
        r.put("read_only", false);
        r.put("sm_config", p.mapOf("sm-config"));
        r.put("tags", p.map("tags").stream().map(Map.Entry::getKey).toList());
        String vdi = c.api().vdi().create(r);
        c.out().list(List.of(c.api().vdi().getUuid(vdi)));
    }

    private static void vdiCopy(CommandContext c) {
        Params p = c.params();
        String vdi = vdi(c);
        String base =
                p.opt("base-vdi-uuid").map(u -> c.api().vdi().getByUuid(u)).orElse(VmCommands.NULL);
        boolean toSr = p.has("sr-uuid");
        if (toSr == p.has("into-vdi-uuid")) {
            throw new CliFailure("Please specify one but not both of: a destination sr-uuid (I will create a fresh"
                    + " VDI); or a destination into-vdi-uuid (I will copy the blocks into this VDI)");
        }
        String sr = toSr ? c.api().sr().getByUuid(p.get("sr-uuid")) : VmCommands.NULL;
        String into = toSr ? VmCommands.NULL : c.api().vdi().getByUuid(p.get("into-vdi-uuid"));
        String made = c.api().vdi().copy(vdi, sr, base, into);
        c.out().list(List.of(c.api().vdi().getUuid(made)));
    }

    private static void vbdCreate(CommandContext c) {
        Params p = c.params();
        String vm = c.api().vm().getByUuid(p.get("vm-uuid"));
        boolean empty = !p.has("vdi-uuid");
        String vdi = empty ? VmCommands.NULL : c.api().vdi().getByUuid(p.get("vdi-uuid"));
        String mode = switch (p.getOr("mode", "rw").toLowerCase(java.util.Locale.ROOT)) {
            case "ro" -> "RO";
            case "rw" -> "RW";
            default -> throw new CliFailure("Unknown mode: " + p.get("mode") + " (should be \"ro\" or \"rw\"");
        };
        String type = switch (p.getOr("type", "disk").toLowerCase(java.util.Locale.ROOT)) {
            case "cd" -> "CD";
            case "disk" -> "Disk";
            case "floppy" -> "Floppy";
            default ->
                throw new CliFailure("\"Unknown type: " + p.get("type") + " (should be \"cd\", \"disk\" or \"floppy\"");
        };
        if (type.equals("Disk") && empty) throw new CliFailure("Empty VBDs can only be made for type=CD");
        Map<String, Object> r = new HashMap<>();
        r.put("VM", vm);
        r.put("VDI", vdi);
        r.put("userdevice", p.get("device"));
        r.put("bootable", p.bool("bootable", false));
        r.put("mode", mode);
        r.put("type", type);
        r.put("unpluggable", p.bool("unpluggable", true));
        r.put("empty", empty);
        r.put("qos_algorithm_type", "");
        r.put("qos_algorithm_params", Map.of());
        r.put("other_config", Map.of());
        String vbd = c.api().vbd().create(r);
        c.out().list(List.of(c.api().vbd().getUuid(vbd)));
    }

    /** Xapi's {@code vbd_unplug}: a refused detach is polled until {@code timeout} seconds have passed. */
    private static void vbdUnplug(CommandContext c) throws InterruptedException {
        String vbd = vbd(c);
        double timeout;
        try {
            timeout = Double.parseDouble(c.params().getOr("timeout", "0"));
        } catch (NumberFormatException e) {
            throw new CliFailure("Failed to parse parameter 'timeout': expecting a float");
        }
        long start = System.nanoTime();
        try {
            if (c.params().bool("force", false)) c.api().vbd().unplugForce(vbd);
            else c.api().vbd().unplug(vbd);
        } catch (ApiError e) {
            if (!e.code().equals("DEVICE_DETACH_REJECTED")) throw e;
            while ((System.nanoTime() - start) / 1e9 < timeout) {
                Thread.sleep(5000);
                if (!c.api().vbd().getCurrentlyAttached(vbd)) return;
            }
            throw e;
        }
    }
}
