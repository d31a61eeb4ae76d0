package org.xapijava.cli.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.cli.records.FieldSpec;
import org.xapijava.cli.records.ObjectRecord;
import org.xapijava.cli.records.RecordSpec;
import org.xapijava.cli.records.RecordTables;

/**
 * The host commands of {@code cli_operations.ml} that read the host's state: emergency mode, CPU information and
 * features, licence parameters and editions, the VMs that prevent an evacuation.
 */
final class HostMoreCommands {
    /** Xapi's {@code Constants.cpu_info_features_*_key}: the feature keys of a host's and a pool's cpu_info. */
    private static final List<String> HOST_FEATURE_KEYS =
            List.of("features_pv", "features_hvm", "features_pv_host", "features_hvm_host");

    static final List<String> POOL_FEATURE_KEYS = List.of("features_pv_host", "features_hvm_host");

    private HostMoreCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put(
                "host-is-in-emergency-mode",
                c -> c.out().msg(Boolean.toString(c.api().host().isInEmergencyMode())));
        t.put(
                "host-cpu-info",
                c -> c.out()
                        .table(List.of(
                                row(c.api().host().getCpuInfo(hostOr(c, "uuid")).entrySet()))));
        t.put("host-get-cpu-features", c -> {
            Map<String, String> info = c.api().host().getCpuInfo(hostOr(c, "uuid"));
            c.out().table(List.of(features(info, HOST_FEATURE_KEYS)));
        });
        t.put("host-license-view", c -> {
            List<Map.Entry<String, String>> shown = new ArrayList<>();
            for (Map.Entry<String, String> e :
                    c.api().host().getLicenseParams(hostOr(c, "host-uuid")).entrySet()) {
                if (!e.getKey().equals("sku_type")) shown.add(e);
            }
            c.out().table(List.of(new Printer.Row(shown)));
        });
        t.put("host-all-editions", c -> c.out().list(c.api().host().getEditions(thisHost(c))));
        t.put("host-get-vms-which-prevent-evacuation", HostMoreCommands::vmsWhichPreventEvacuation);
    }

    /** The host {@code key} names by uuid, else the one the session is logged in to. */
    static String hostOr(CommandContext c, String key) {
        return c.params().has(key) ? c.api().host().getByUuid(c.params().get(key)) : thisHost(c);
    }

    /** Xapi's {@code get_host_from_session}. */
    static String thisHost(CommandContext c) {
        return c.api().session().getThisHost(c.session());
    }

    private static Printer.Row row(java.util.Collection<Map.Entry<String, String>> entries) {
        return new Printer.Row(new ArrayList<>(entries));
    }

    /** Xapi's {@code cpu_info_features_of}: the feature keys that {@code info} has, in the keys' order. */
    static Printer.Row features(Map<String, String> info, List<String> keys) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (String k : keys) {
            String v = info.get(k);
            if (v != null) out.add(Map.entry(k, v));
        }
        return new Printer.Row(out);
    }

    /**
     * One table per VM: its uuid and name-label (or the {@code params=} fields of the VM record) and the reason, the
     * error code and parameters joined by commas.
     */
    private static void vmsWhichPreventEvacuation(CommandContext c) {
        String host = c.api().host().getByUuid(c.params().get("uuid"));
        Map<String, List<String>> vms = c.api().host().getVmsWhichPreventEvacuation(host);
        RecordSpec spec = RecordTables.get().record("vm");
        ApiResolver r = new ApiResolver(c.api(), c.host());
        List<FieldSpec> fields = GenericCommands.columns(spec, c.params(), List.of("uuid", "name-label"));
        boolean reason = !c.params().has("params")
                || c.params().get("params").equals("all")
                || List.of(c.params().get("params").split(",", -1)).contains("reason");
        for (Map.Entry<String, List<String>> e : vms.entrySet()) {
            ObjectRecord vm = r.of(spec, e.getKey());
            List<Map.Entry<String, String>> row = new ArrayList<>(ObjectRecord.labelled(vm, fields, false));
            if (reason) row.add(Map.entry("reason ( RO)", String.join(",", e.getValue())));
            c.out().table(List.of(new Printer.Row(row)));
        }
    }
}
