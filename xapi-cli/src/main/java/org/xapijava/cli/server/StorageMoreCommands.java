package org.xapijava.cli.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.model.api.ProbeResult;
import org.xapijava.model.api.SrStat;
import org.xapijava.model.api.enums.VdiType;
import org.xapijava.model.types.DateTime;

/** The SR and VDI commands of {@code cli_operations.ml} for extended probes, introductions and changed-block tracking. */
final class StorageMoreCommands {
    private StorageMoreCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("sr-probe-ext", StorageMoreCommands::probeExt);
        t.put("vdi-introduce", StorageMoreCommands::vdiIntroduce);
        t.put("vdi-enable-cbt", c -> c.api().vdi().enableCbt(vdi(c, "uuid")));
        t.put("vdi-disable-cbt", c -> c.api().vdi().disableCbt(vdi(c, "uuid")));
        t.put("vdi-data-destroy", c -> c.api().vdi().dataDestroy(vdi(c, "uuid")));
        // a With_fd command: the bitmap goes straight to the client, --minimal or not
        t.put(
                "vdi-list-changed-blocks",
                c -> c.conn().print(c.api().vdi().listChangedBlocks(vdi(c, "vdi-from-uuid"), vdi(c, "vdi-to-uuid"))));
    }

    private static String vdi(CommandContext c, String key) {
        return c.api().vdi().getByUuid(c.params().get(key));
    }

    private static void vdiIntroduce(CommandContext c) {
        Params p = c.params();
        String sr = c.api().sr().getByUuid(p.get("sr-uuid"));
        VdiType type = switch (p.get("type")) {
            case "system" -> VdiType.SYSTEM;
            case "user" -> VdiType.USER;
            case "suspend" -> VdiType.SUSPEND;
            case "crashdump" -> VdiType.CRASHDUMP;
            default -> throw new CliFailure("Unknown vdi type: " + p.get("type"));
        };
        String vdi = c.api()
                .vdi()
                .introduce(
                        p.get("uuid"),
                        p.getOr("name-label", ""),
                        p.getOr("name-description", ""),
                        sr,
                        type,
                        p.bool("sharable", false),
                        p.bool("read-only", false),
                        p.mapOf("other-config"),
                        p.get("location"),
                        p.mapOf("xenstore-data"),
                        p.mapOf("sm-config"),
                        p.bool("managed", false),
                        0L,
                        0L,
                        VmCommands.NULL,
                        false,
                        DateTime.EPOCH,
                        VmCommands.NULL);
        c.out().list(List.of(c.api().vdi().getUuid(vdi)));
    }

    /**
     * {@code sr_probe_ext}: the SRs found (their statistics, configuration and extra information), then the complete
     * configurations, then the incomplete ones; each group in the reverse of the server's order, as Xapi's fold
     * leaves it.
     */
    @SuppressWarnings("unchecked")
    private static void probeExt(CommandContext c) {
        Params p = c.params();
        List<Map<String, Object>> results = c.api()
                .sr()
                .probeExt(
                        StorageCommands.hostOf(c, true), p.mapOf("device-config"), p.get("type"), p.mapOf("sm-config"));
        List<Map<String, Object>> srs = new ArrayList<>();
        List<Map<String, Object>> complete = new ArrayList<>();
        List<Map<String, Object>> incomplete = new ArrayList<>();
        for (Map<String, Object> r : results) {
            Object sr = r.get(ProbeResult.SR.name());
            if (sr instanceof Map<?, ?> m && !m.isEmpty()) srs.add(0, r);
            else if (Boolean.TRUE.equals(r.get(ProbeResult.COMPLETE.name()))) complete.add(0, r);
            else incomplete.add(0, r);
        }
        Printer out = c.out();
        if (!srs.isEmpty()) {
            out.msg("The following SRs were found:");
            for (int i = 0; i < srs.size(); i++) {
                Map<String, Object> r = srs.get(i);
                out.msg("SR " + i + ":");
                out.table(List.of(srStat((Map<String, Object>) r.get(ProbeResult.SR.name()))));
                out.msg("SR " + i + " configuration:");
                out.table(List.of(mapRow(r.get(ProbeResult.CONFIGURATION.name()))));
                out.msg("SR " + i + " extra information:");
                out.table(List.of(mapRow(r.get(ProbeResult.EXTRA_INFO.name()))));
            }
        }
        if (!complete.isEmpty()) {
            out.msg("Found the following complete configurations that can be used to create SRs:");
            configs(out, complete);
        }
        if (!incomplete.isEmpty()) {
            out.msg("Found the following incomplete configurations that may contain SRs:");
            configs(out, incomplete);
        }
    }

    private static void configs(Printer out, List<Map<String, Object>> rs) {
        for (int i = 0; i < rs.size(); i++) {
            out.msg("Configuration " + i + ":");
            out.table(List.of(mapRow(rs.get(i).get(ProbeResult.CONFIGURATION.name()))));
            out.msg("Configuration " + i + " extra information:");
            out.table(List.of(mapRow(rs.get(i).get(ProbeResult.EXTRA_INFO.name()))));
        }
    }

    private static Printer.Row srStat(Map<String, Object> s) {
        List<Map.Entry<String, String>> f = new ArrayList<>();
        Object uuid = s.get(SrStat.UUID.name());
        if (uuid != null && !uuid.toString().isEmpty()) f.add(Map.entry("uuid", uuid.toString()));
        f.add(Map.entry("name-label", str(s.get(SrStat.NAME_LABEL.name()))));
        f.add(Map.entry("name-description", str(s.get(SrStat.NAME_DESCRIPTION.name()))));
        f.add(Map.entry("total-space", str(s.get(SrStat.TOTAL_SPACE.name()))));
        f.add(Map.entry("free-space", str(s.get(SrStat.FREE_SPACE.name()))));
        f.add(Map.entry("clustered", str(s.get(SrStat.CLUSTERED.name()))));
        f.add(Map.entry("health", str(s.get(SrStat.HEALTH.name()))));
        return new Printer.Row(f);
    }

    private static Printer.Row mapRow(Object m) {
        List<Map.Entry<String, String>> f = new ArrayList<>();
        if (m instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) f.add(Map.entry(str(e.getKey()), str(e.getValue())));
        }
        return new Printer.Row(f);
    }

    private static String str(Object o) {
        return o == null ? "" : o.toString();
    }
}
