package org.xapijava.bench.lifecycle;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.server.XapiServer;

/**
 * The benchmark's VMs, made through the XenAPI: one PV guest built from a first-start template's record (256 MiB,
 * one vCPU, a NIC on the management network, no disks), then {@code VM.clone}d. PV because Xapi refuses a clean
 * shutdown of a running HVM guest until its PV drivers are reported ({@code VM_LACKS_FEATURE}), which a cycle that
 * shuts the guest down at once could meet; no disks so that the benchmark measures the lifecycle, not storage.
 */
public final class LifecycleFixture {
    private static final long MIB = 1024L * 1024;

    private LifecycleFixture() {}

    /** The VMs, by index: their refs and uuids. */
    public record Vms(List<String> refs, List<String> uuids) {}

    static Vms create(XapiServer server, int n) throws IOException {
        return create(server, new InetSocketAddress("127.0.0.1", server.httpPort()), n);
    }

    /** {@link #create(XapiServer, int)} on the pool whose master {@code server} answers at {@code a}. */
    @SuppressWarnings("unchecked")
    public static Vms create(XapiServer server, InetSocketAddress a, int n) throws IOException {
        try (XmlRpcConnection c = new XmlRpcConnection(a)) {
            String s = (String) c.call(
                    "session.login_with_password", "root", server.rootPassword(), "1.0", "xapi-java lifecycle bench");
            Map<String, Object> template = null;
            for (Object o : ((Map<String, Object>) c.call("VM.get_all_records", s)).values()) {
                Map<String, Object> r = (Map<String, Object>) o;
                if (Boolean.TRUE.equals(r.get("is_a_template")) && !Boolean.TRUE.equals(r.get("is_control_domain"))) {
                    template = r;
                    break;
                }
            }
            if (template == null) throw new IllegalStateException("no template after first start");
            Map<String, Object> r = new LinkedHashMap<>(template);
            r.put("name_label", "bench-0");
            r.put("name_description", "");
            r.put("is_a_template", false);
            r.put("is_default_template", false);
            r.put("other_config", Map.of());
            r.put("memory_static_min", Long.toString(128 * MIB));
            for (String f : List.of("memory_static_max", "memory_dynamic_min", "memory_dynamic_max"))
                r.put(f, Long.toString(256 * MIB));
            r.put("VCPUs_max", "1");
            r.put("VCPUs_at_startup", "1");
            r.put("domain_type", "pv");
            r.put("HVM_boot_policy", "");
            r.put("HVM_boot_params", Map.of());
            r.put("PV_bootloader", "pygrub");
            r.put("actions_after_shutdown", "destroy");
            r.put("actions_after_reboot", "restart");
            r.put("actions_after_crash", "restart");
            String first = (String) c.call("VM.create", s, r);
            // Xapi's VM.create gives a new VM domid -1; the generic constructor leaves the datamodel's default 0
            server.services().db().set("VM", first, "domid", -1L);

            String network = null;
            for (Map.Entry<String, Object> e :
                    ((Map<String, Object>) c.call("network.get_all_records", s)).entrySet()) {
                if (!((List<?>) ((Map<String, Object>) e.getValue()).get("PIFs")).isEmpty()) network = e.getKey();
            }
            if (network == null) throw new IllegalStateException("no management network");
            Map<String, Object> vif = new LinkedHashMap<>();
            vif.put("device", "0");
            vif.put("network", network);
            vif.put("VM", first);
            vif.put("MAC", "");
            vif.put("MTU", "1500");
            vif.put("other_config", Map.of());
            vif.put("qos_algorithm_type", "");
            vif.put("qos_algorithm_params", Map.of());
            vif.put("locking_mode", "network_default");
            vif.put("ipv4_allowed", List.of());
            vif.put("ipv6_allowed", List.of());
            c.call("VIF.create", s, vif);

            List<String> refs = new ArrayList<>(List.of(first));
            for (int i = 1; i < n; i++) refs.add((String) c.call("VM.clone", s, first, "bench-" + i));
            List<String> uuids = new ArrayList<>();
            for (String ref : refs) uuids.add((String) c.call("VM.get_uuid", s, ref));
            c.call("session.logout", s);
            return new Vms(refs, uuids);
        }
    }

    /**
     * The VMs as a user makes them on a host started by {@code scripts/xapi}: the first cloned from the "Other
     * install media" template and provisioned (its disks created in the default SR), given a NIC on the management
     * network, then {@code VM.clone}d.
     */
    @SuppressWarnings("unchecked")
    public static Vms fromTemplate(InetSocketAddress a, String password, int n) throws IOException {
        try (XmlRpcConnection c = new XmlRpcConnection(a)) {
            String s = (String)
                    c.call("session.login_with_password", "root", password, "1.0", "xapi-java lifecycle bench");
            List<?> templates = (List<?>) c.call("VM.get_by_name_label", s, "Other install media");
            if (templates.isEmpty()) throw new IllegalStateException("no \"Other install media\" template");
            String first = (String) c.call("VM.clone", s, templates.get(0), "bench-0");
            c.call("VM.provision", s, first);
            String network = null;
            for (Map.Entry<String, Object> e :
                    ((Map<String, Object>) c.call("network.get_all_records", s)).entrySet()) {
                if (!((List<?>) ((Map<String, Object>) e.getValue()).get("PIFs")).isEmpty()) network = e.getKey();
            }
            if (network == null) throw new IllegalStateException("no management network");
            Map<String, Object> vif = new LinkedHashMap<>();
            vif.put("device", "0");
            vif.put("network", network);
            vif.put("VM", first);
            vif.put("MAC", "");
            vif.put("MTU", "1500");
            vif.put("other_config", Map.of());
            vif.put("qos_algorithm_type", "");
            vif.put("qos_algorithm_params", Map.of());
            vif.put("locking_mode", "network_default");
            vif.put("ipv4_allowed", List.of());
            vif.put("ipv6_allowed", List.of());
            c.call("VIF.create", s, vif);
            List<String> refs = new ArrayList<>(List.of(first));
            for (int i = 1; i < n; i++) refs.add((String) c.call("VM.clone", s, first, "bench-" + i));
            List<String> uuids = new ArrayList<>();
            for (String ref : refs) uuids.add((String) c.call("VM.get_uuid", s, ref));
            c.call("session.logout", s);
            return new Vms(refs, uuids);
        }
    }
}
