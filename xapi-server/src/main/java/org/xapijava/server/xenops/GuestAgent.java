package org.xapijava.server.xenops;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * What the guest agent publishes in xenstore, as the VM's guest metrics: {@code get_initial_guest_metrics} of
 * {@code ocaml/xapi/xapi_guest_agent.ml} over the {@code guest_agent} pairs (xenstore path relative to the
 * domain, value) that xenopsd reports in {@code VM.stat}. Pure; thread-safe.
 *
 * @param pvDriversVersion   {@code PV_drivers_version}
 * @param osVersion          {@code os_version}
 * @param netbiosName        {@code netbios_name} (absent from older datamodels)
 * @param networks           {@code networks}: {@code <vif>/ip}, {@code <vif>/ipv4/<n>}, {@code <vif>/ipv6/<n>}
 * @param other              {@code other}: one key per {@code control/*} key, plus {@code data-ts}
 * @param memory             {@code memory} (not written: Xapi keeps it in RRDs)
 * @param deviceId           {@code data/device_id} as {@code device_id}
 * @param services           {@code services} (absent from older datamodels)
 * @param canUseHotplugVbd   {@code yes}, {@code no} or {@code unspecified}
 * @param canUseHotplugVif   likewise
 */
public record GuestAgent(
        Map<String, String> pvDriversVersion,
        Map<String, String> osVersion,
        Map<String, String> netbiosName,
        Map<String, String> networks,
        Map<String, String> other,
        Map<String, String> memory,
        Map<String, String> deviceId,
        Map<String, String> services,
        String canUseHotplugVbd,
        String canUseHotplugVif) {

    /** Metrics of a domain the agent said nothing about yet (Xapi's empty cache entry). */
    public static final GuestAgent EMPTY = new GuestAgent(
            Map.of(),
            Map.of(),
            Map.of(),
            Map.of(),
            Map.of(),
            Map.of(),
            Map.of(),
            Map.of(),
            "unspecified",
            "unspecified");

    private static final String[][] PV_DRIVERS_VERSION = {
        {"attr/PVAddons/MajorVersion", "major"}, {"attr/PVAddons/MinorVersion", "minor"},
        {"attr/PVAddons/MicroVersion", "micro"}, {"attr/PVAddons/BuildVersion", "build"},
        {"attr/PVAddons/Application", "application"}
    };
    private static final String[][] OS_VERSION = {
        {"data/os_name", "name"}, {"data/os_uname", "uname"}, {"data/os_distro", "distro"},
        {"data/os_majorver", "major"}, {"data/os_minorver", "minor"}, {"attr/os/spmajor", "spmajor"},
        {"attr/os/spminor", "spminor"}
    };
    private static final String[][] MEMORY = {{"data/meminfo_free", "free"}, {"data/meminfo_total", "total"}};
    private static final List<String> IFACE_PREFIXES = List.of("eth", "xenbr", "eno", "ens", "emp", "enx");
    /** {@code Xapi_globs.guest_service_keys}' default: extra {@code data/<key>} values copied into services. */
    private static final List<String> GUEST_SERVICE_KEYS = List.of();

    /** The agent's view of one domain, from its {@code guest_agent} pairs. */
    public static GuestAgent parse(Map<String, String> ga) {
        Xs xs = new Xs(ga);
        String cantSuspend = xs.lookup("data/cant_suspend_reason");
        List<String[]> control = new ArrayList<>();
        for (String c : xs.list("control")) control.add(new String[] {"control/" + c, c});
        Map<String, String> other = toMap(xs, control, cantSuspend);
        String ts = xs.lookup("data/ts");
        if (ts != null) other.put("data-ts", ts);

        Map<String, String> pv = toMap(xs, List.of(PV_DRIVERS_VERSION), cantSuspend);
        // Windows drivers: drivers/<n> = "<vendor> <driver> <version> <attr>"
        List<String[]> drivers = new ArrayList<>();
        for (String d : xs.list("drivers")) {
            try {
                Integer.parseInt(d);
                drivers.add(new String[] {"drivers/" + d, d});
            } catch (NumberFormatException e) {
                // not an index
            }
        }
        for (String v : toMap(xs, drivers, cantSuspend).values()) {
            String[] parts = v.split(" ", 4);
            if (parts.length < 4) continue;
            pv.put(
                    parts[1].toLowerCase(java.util.Locale.ROOT),
                    parts[0] + " " + parts[2] + " " + parts[3].replaceAll("\n.*", ""));
        }
        if (!pv.isEmpty() && !pv.containsKey("micro")) {
            Map<String, String> withMicro = new LinkedHashMap<>();
            withMicro.put("micro", "-1"); // until every agent reports it
            withMicro.putAll(pv);
            pv = withMicro;
        }
        Map<String, String> os = toMap(xs, List.of(OS_VERSION), cantSuspend);
        Map<String, String> netbios =
                toMap(xs, List.<String[]>of(new String[] {"data/host_name_dns", "host_name"}), cantSuspend);
        String domain = xs.lookup("data/domain");
        if (domain != null) netbios.replaceAll((k, v) -> v + "." + domain);
        Map<String, String> deviceId =
                toMap(xs, List.<String[]>of(new String[] {"data/device_id", "device_id"}), cantSuspend);
        List<String[]> nets = new ArrayList<>(networks(xs, "attr", "vif"));
        nets.addAll(networks(xs, "xenserver/attr", "net-sriov-vf"));
        Map<String, String> networks = toMap(xs, nets, cantSuspend);
        Map<String, String> services = new LinkedHashMap<>();
        for (String service : xs.list("data/service")) {
            for (String key : xs.list("data/service/" + service)) {
                String v = xs.lookup("data/service/" + service + "/" + key);
                services.put(service + "/" + key, v == null ? "" : v);
            }
        }
        for (String key : GUEST_SERVICE_KEYS) {
            String v = xs.lookup("data/" + key);
            if (v != null) services.put(key, v);
        }
        return new GuestAgent(
                pv,
                os,
                netbios,
                networks,
                other,
                toMap(xs, List.of(MEMORY), cantSuspend),
                deviceId,
                services,
                tristate(xs.lookup("feature/hotplug/vbd")),
                tristate(xs.lookup("feature/hotplug/vif")));
    }

    private static String tristate(String v) {
        if ("0".equals(v)) return "no";
        if ("1".equals(v)) return "yes";
        return "unspecified";
    }

    /** Every present xenstore key under its map key; a suspend feature with a reason becomes that reason. */
    private static Map<String, String> toMap(Xs xs, List<String[]> pairs, String cantSuspend) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String[] p : pairs) {
            String v = xs.lookup(p[0]);
            if (v == null) continue;
            if (p[0].equals("control/feature-suspend") && cantSuspend != null)
                out.putIfAbsent("data-cant-suspend-reason", cantSuspend);
            else out.putIfAbsent(p[1], v);
        }
        return out;
    }

    private static String cat(String a, String b) {
        return a.endsWith("/") ? a + b : a + "/" + b;
    }

    /**
     * {@code networks}: (xenstore key, map key) pairs for the IP addresses under {@code path}, from the
     * {@code <path>/<vifType>/<n>/ipv4|ipv6/<i>} layout, or else the older {@code <path>/eth<n>/ip} one. Both
     * layouts give {@code <n>/ip} and {@code <n>/ipv4/0} for the first IPv4 address.
     */
    static List<String[]> networks(Xs xs, String path, String vifType) {
        List<String[]> vifs = new ArrayList<>();
        String vifPath = cat(path, vifType);
        for (String id : xs.list(vifPath)) vifs.add(0, new String[] {cat(vifPath, id), id});
        List<String[]> out = new ArrayList<>();
        if (vifs.isEmpty()) {
            List<String[]> eths = new ArrayList<>();
            for (String eth : xs.list(path)) {
                for (String prefix : IFACE_PREFIXES) {
                    if (eth.startsWith(prefix)) {
                        eths.add(0, new String[] {cat(path, eth), eth.substring(prefix.length())});
                        break;
                    }
                }
            }
            for (String[] e : eths) {
                out.add(new String[] {cat(e[0], "ip"), cat(e[1], "ip")});
                out.add(new String[] {cat(e[0], "ip"), e[1] + "/ipv4/0"});
                if (xs.list(e[0]).contains("ipv6")) {
                    for (String s : xs.list(cat(e[0], "ipv6"))) {
                        out.add(new String[] {cat(cat(cat(e[0], "ipv6"), s), "addr"), cat(cat(e[1], "ipv6"), s)});
                    }
                }
            }
            return out;
        }
        for (String[] v : vifs) {
            List<String[]> acc = new ArrayList<>();
            for (String ver : xs.list(v[0])) {
                if (!ver.equals("ipv4") && !ver.equals("ipv6")) continue;
                List<String> ids = new ArrayList<>(xs.list(cat(v[0], ver)));
                List<String[]> inner = new ArrayList<>();
                try {
                    ids.sort((a, b) -> Integer.compare(Integer.parseInt(a), Integer.parseInt(b)));
                    for (String id : ids) {
                        String left = v[0] + "/" + ver + "/" + id;
                        String right = v[1] + "/" + ver + "/" + id;
                        if (inner.isEmpty() && ver.equals("ipv4")) {
                            inner.add(new String[] {left, cat(v[1], "ip")});
                            inner.add(new String[] {left, right});
                        } else {
                            inner.add(0, new String[] {left, right});
                        }
                    }
                } catch (NumberFormatException e) {
                    inner.clear(); // "Failed to extract IP address for vif"
                }
                inner.addAll(acc);
                acc = inner;
            }
            out.addAll(acc);
        }
        return out;
    }

    /** The {@code lookup} and {@code list} of {@code update_vm_internal} over the flat pairs. */
    static final class Xs {
        private final Map<String, String> ga;

        Xs(Map<String, String> ga) {
            this.ga = ga;
        }

        String lookup(String key) {
            return ga.get(key);
        }

        /** The first path element after {@code dir} of every key starting with it (a plain prefix test, as Xapi's). */
        List<String> list(String dir) {
            String d = dir.startsWith("/") ? dir.substring(1) : dir;
            LinkedHashSet<String> out = new LinkedHashSet<>();
            for (String path : ga.keySet()) {
                if (!path.startsWith(d)) continue;
                for (String part : path.substring(d.length()).split("/")) {
                    if (!part.isEmpty()) {
                        out.add(part);
                        break;
                    }
                }
            }
            return new ArrayList<>(out);
        }
    }
}
