package org.xapijava.cli.server;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.model.api.enums.VifIpv4ConfigurationMode;
import org.xapijava.model.api.enums.VifIpv6ConfigurationMode;

/** Small commands of {@code cli_operations.ml}: VIF addressing, VBD pause, DR tasks, the bare VM, agent calls. */
final class MiscCommands {
    private MiscCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("vif-configure-ipv4", c -> {
            Params p = c.params();
            String vif = c.api().vif().getByUuid(p.get("uuid"));
            VifIpv4ConfigurationMode mode = switch (p.get("mode").toLowerCase(java.util.Locale.ROOT)) {
                case "none" -> VifIpv4ConfigurationMode.NONE;
                case "static" -> VifIpv4ConfigurationMode.STATIC;
                default -> throw new CliFailure("Expected 'dhcp','none' or 'static', got " + p.get("mode"));
            };
            String address = p.getOr("address", "");
            if (mode == VifIpv4ConfigurationMode.STATIC && address.isEmpty()) {
                throw new CliFailure("Required parameter not found: address");
            }
            c.api().vif().configureIpv4(vif, mode, address, p.getOr("gateway", ""));
        });
        t.put("vif-configure-ipv6", c -> {
            Params p = c.params();
            String vif = c.api().vif().getByUuid(p.get("uuid"));
            VifIpv6ConfigurationMode mode = switch (p.get("mode").toLowerCase(java.util.Locale.ROOT)) {
                case "none" -> VifIpv6ConfigurationMode.NONE;
                case "static" -> VifIpv6ConfigurationMode.STATIC;
                default -> throw new CliFailure("Expected 'dhcp','none' 'autoconf' or 'static', got " + p.get("mode"));
            };
            String address = p.getOr("address", "");
            if (mode == VifIpv6ConfigurationMode.STATIC && address.isEmpty()) {
                throw new CliFailure("Required parameter not found: address");
            }
            c.api().vif().configureIpv6(vif, mode, address, p.getOr("gateway", ""));
        });
        t.put("vbd-pause", c -> c.out().list(List.of(c.api().vbd().pause(vbd(c)))));
        t.put("vbd-unpause", c -> c.api().vbd().unpause(vbd(c), c.params().get("token")));
        t.put("drtask-create", c -> {
            Params p = c.params();
            List<String> whitelist =
                    p.opt("sr-whitelist").map(w -> List.of(w.split(",", -1))).orElse(List.of());
            String task = c.api().drTask().create(p.get("type"), p.mapOf("device-config"), whitelist);
            c.out().list(List.of(c.api().drTask().getUuid(task)));
        });
        t.put(
                "drtask-destroy",
                c -> c.api()
                        .drTask()
                        .destroy(c.api().drTask().getByUuid(c.params().get("uuid"))));
        t.put("vm-create", c -> {
            // Xapi's vm_create: a bare halted VM of 128-256 MiB and one vCPU
            long mib = 1024L * 1024L;
            Map<String, Object> r = new HashMap<>();
            r.put("name_label", c.params().get("name-label"));
            r.put("name_description", c.params().getOr("name-description", ""));
            r.put("memory_target", 256 * mib);
            r.put("memory_static_max", 256 * mib);
            r.put("memory_dynamic_max", 256 * mib);
            r.put("memory_dynamic_min", 128 * mib);
            r.put("memory_static_min", 128 * mib);
            r.put("VCPUs_max", 1L);
            r.put("VCPUs_at_startup", 1L);
            r.put("actions_after_softreboot", "soft_reboot");
            r.put("actions_after_shutdown", "destroy");
            r.put("actions_after_reboot", "restart");
            r.put("actions_after_crash", "destroy");
            r.put("HVM_shadow_multiplier", 1.0);
            r.put("domain_type", "unspecified");
            r.put("power_state", "Halted");
            String vm = c.api().vm().create(r);
            c.out().list(List.of(c.api().vm().getUuid(vm)));
        });
        t.put("host-shutdown-agent", c -> c.api().host().shutdownAgent());
        t.put("host-update-firewalld-service-status", c -> c.api().host().updateFirewalldServiceStatus());
    }

    private static String vbd(CommandContext c) {
        return c.api().vbd().getByUuid(c.params().get("uuid"));
    }
}
