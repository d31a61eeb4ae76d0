package org.xapijava.cli.records;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;

/**
 * The fields {@code records.ml} computes with more calls than a record read (the record tables name them
 * {@code #name}; README.md beside the tables lists them). An unknown name is a defect of the tables and fails loudly.
 */
final class Computed {
    private static final String UNKNOWN = "<unknown>";

    /** The names this class computes ({@code all_hosts:}, {@code hosts_consistent:}, {@code ref_strings:} take a field). */
    static final java.util.Set<String> NAMES = java.util.Set.of(
            "memory_target",
            "cooperative",
            "last_boot_record",
            "memory_free_computed",
            "io_read_kbs",
            "io_write_kbs",
            "cpu_utilisation",
            "pif_speed",
            "pif_duplex",
            "remaining_capacity",
            "supported_sr_types",
            "license_state",
            "vswitch_controller",
            "sr_host",
            "vbd_vdi_name_label",
            "attachable",
            "metadata_of_pool",
            "compatibility_metadata",
            "max_resolution",
            "vtpm_secret",
            "allowed_VBD_devices",
            "allowed_VIF_devices",
            "possible_hosts",
            "vcpus_utilisation");

    private Computed() {}

    /** Whether {@code name} (a table's {@code #name}) is computed here. */
    static boolean known(String name) {
        int colon = name.indexOf(':');
        if (colon >= 0)
            return java.util.List.of("all_hosts", "hosts_consistent", "ref_strings")
                    .contains(name.substring(0, colon));
        return NAMES.contains(name);
    }

    static String text(String name, ObjectRecord o) {
        XenApi api = o.resolver().api();
        return switch (name) {
            case "memory_target" -> {
                try {
                    yield Long.toString((long) api.vm().queryDataSource(o.ref(), "memory_target"));
                } catch (ApiError e) {
                    yield e.code().equals("VM_BAD_POWER_STATE") ? "0" : UNKNOWN;
                }
            }
            case "cooperative" -> {
                try {
                    yield Boolean.toString(api.vm().getCooperative(o.ref()));
                } catch (ApiError e) {
                    yield "true";
                }
            }
            case "last_boot_record" -> "'" + str(o.raw().get("last_booted_record")) + "'";
            case "memory_free_computed" -> Long.toString(api.host().computeFreeMemory(o.ref()));
            case "io_read_kbs", "io_write_kbs" -> io(name, o);
            case "cpu_utilisation" -> {
                try {
                    String host = str(o.raw().get("host"));
                    yield f3(api.host().queryDataSource(host, "cpu" + o.raw().get("number")));
                } catch (ApiError e) {
                    yield UNKNOWN;
                }
            }
            case "pif_speed" -> metric(o, "speed") + " Mbit/s";
            case "pif_duplex" -> {
                if (Boolean.TRUE.equals(metricValue(o, "duplex"))) yield "full";
                yield Boolean.TRUE.equals(metricValue(o, "carrier")) ? "half" : "unknown";
            }
            case "remaining_capacity" -> Long.toString(api.networkSriov().getRemainingCapacity(o.ref()));
            case "supported_sr_types" -> String.join("; ", api.sr().getSupportedTypes());
            case "license_state" ->
                String.join(
                        "; ",
                        api.pool().getLicenseState(o.ref()).entrySet().stream()
                                .map(e -> e.getKey() + ": " + e.getValue())
                                .toList());
            case "vswitch_controller" -> {
                String v = str(o.raw().get("vswitch_controller"));
                yield v.isEmpty() ? "<not set>" : v;
            }
            case "sr_host" -> {
                List<?> pbds = o.raw().get("PBDs") instanceof List<?> l ? l : List.of();
                if (pbds.size() > 1) yield "<shared>";
                if (pbds.isEmpty()) yield Values.NOT_IN_DATABASE;
                Map<String, Object> pbd = o.resolver().record("PBD", str(pbds.get(0)));
                String host = pbd == null ? null : o.resolver().nameOf(str(pbd.get("host")));
                yield host == null ? Values.NOT_IN_DATABASE : host;
            }
            case "vbd_vdi_name_label" -> {
                if (Boolean.TRUE.equals(o.raw().get("empty"))) yield "<EMPTY>";
                String n = o.resolver().nameOf(str(o.raw().get("VDI")));
                yield n == null ? Values.NOT_IN_DATABASE : n;
            }
            case "attachable" -> {
                try {
                    api.vbd().assertAttachable(o.ref());
                    yield "true";
                } catch (ApiError e) {
                    yield "false";
                }
            }
            case "metadata_of_pool" -> {
                String pool = str(o.raw().get("metadata_of_pool"));
                List<String> pools = api.pool().getAll();
                if (!pools.isEmpty() && pools.get(0).equals(pool)) yield Values.uuid(o.resolver(), pool);
                try {
                    String u = api.vdi().readDatabasePoolUuid(o.ref());
                    yield u.isEmpty() ? Values.NOT_IN_DATABASE : u;
                } catch (ApiError e) {
                    yield Values.NOT_IN_DATABASE;
                }
            }
            case "compatibility_metadata" -> {
                List<String> out = new ArrayList<>();
                if (o.raw().get("compatibility_metadata") instanceof Map<?, ?> m) {
                    m.forEach((k, v) -> out.add(k + ":(" + str(v).length() + " bytes)"));
                }
                yield String.join("; ", out);
            }
            case "max_resolution" ->
                str(o.raw().get("max_resolution_x")) + "x" + str(o.raw().get("max_resolution_y"));
            case "vtpm_secret" -> {
                byte[] contents = api.vtpm().getContents(o.ref()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                yield "MD5=" + md5(contents) + " size=" + contents.length + " bytes";
            }
            default -> {
                if (name.startsWith("all_hosts:") || name.startsWith("hosts_consistent:")) yield hosts(name, o);
                if (name.startsWith("ref_strings:")) {
                    List<String> out = new ArrayList<>();
                    if (o.raw().get(name.substring("ref_strings:".length())) instanceof List<?> l) {
                        for (Object ref : l) {
                            String u = o.resolver().uuidOf(str(ref));
                            out.add(u == null ? str(ref) : u);
                        }
                    }
                    yield String.join("; ", out);
                }
                List<String> m = members(name, o);
                yield String.join("; ", m);
            }
        };
    }

    /** {@code all_hosts:<field>} and {@code hosts_consistent:<field>} of the pool record. */
    private static String hosts(String name, ObjectRecord o) {
        String field = name.substring(name.indexOf(':') + 1);
        boolean all = name.startsWith("all_hosts:");
        org.xapijava.model.FieldDef fd =
                org.xapijava.model.Datamodel.get().cls("host").field(field);
        java.util.Set<String> seen = new java.util.LinkedHashSet<>();
        boolean every = true;
        for (String h : o.resolver().api().host().getAll()) {
            Map<String, Object> r = o.resolver().record("host", h);
            if (r == null) continue;
            Object v = r.get(field);
            every &= Boolean.TRUE.equals(v);
            seen.add(Values.render(fd.type(), v, o.resolver(), Values.Style.PLAIN));
        }
        if (all) return Boolean.toString(every && !seen.isEmpty());
        return seen.size() == 1 ? seen.iterator().next() : "<inconsistent>";
    }

    private static Object metricValue(ObjectRecord o, String field) {
        Map<String, Object> m = o.resolver().record("PIF_metrics", str(o.raw().get("metrics")));
        return m == null ? null : m.get(field);
    }

    private static String metric(ObjectRecord o, String field) {
        Object v = metricValue(o, field);
        return v == null ? Values.NOT_IN_DATABASE : v.toString();
    }

    private static String md5(byte[] b) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("MD5").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> members(String name, ObjectRecord o) {
        XenApi api = o.resolver().api();
        return switch (name) {
            case "allowed_VBD_devices" -> quiet(() -> api.vm().getAllowedVBDDevices(o.ref()));
            case "allowed_VIF_devices" -> quiet(() -> api.vm().getAllowedVIFDevices(o.ref()));
            case "possible_hosts" -> {
                List<String> out = new ArrayList<>();
                for (String h : api.vm().getPossibleHosts(o.ref())) out.add(Values.uuid(o.resolver(), h));
                yield out;
            }
            default -> {
                if (name.equals("vcpus_utilisation")) {
                    yield entries(name, o).stream()
                            .map(e -> e.getKey() + ": " + e.getValue())
                            .toList();
                }
                throw unknown(name);
            }
        };
    }

    static List<Map.Entry<String, String>> entries(String name, ObjectRecord o) {
        if (!name.equals("vcpus_utilisation")) throw unknown(name);
        XenApi api = o.resolver().api();
        List<Map.Entry<String, String>> out = new ArrayList<>();
        try {
            Map<String, Object> metrics =
                    o.resolver().record("VM_metrics", str(o.raw().get("metrics")));
            long n = metrics == null ? 0 : ((Number) metrics.get("VCPUs_number")).longValue();
            for (int i = 0; i < n; i++) {
                out.add(Map.entry(Integer.toString(i), f3(api.vm().queryDataSource(o.ref(), "cpu" + i))));
            }
        } catch (ApiError e) {
            return List.of();
        }
        return out;
    }

    /** A device's I/O rate in KiB/s from its owner's data source. */
    private static String io(String name, ObjectRecord o) {
        XenApi api = o.resolver().api();
        boolean read = name.equals("io_read_kbs");
        String device = str(o.raw().get("device"));
        try {
            double v = switch (o.spec().apiClass()) {
                case "PIF" ->
                    api.host().queryDataSource(str(o.raw().get("host")), "pif_" + device + (read ? "_rx" : "_tx"));
                case "VIF" ->
                    api.vm().queryDataSource(str(o.raw().get("VM")), "vif_" + device + (read ? "_rx" : "_tx"));
                case "VBD" ->
                    api.vm().queryDataSource(str(o.raw().get("VM")), "vbd_" + device + (read ? "_read" : "_write"));
                default -> throw unknown(name + " of " + o.spec().apiClass());
            };
            return f3(v / 1024.0);
        } catch (ApiError e) {
            return UNKNOWN;
        }
    }

    private interface Call {
        List<String> get();
    }

    private static List<String> quiet(Call c) {
        try {
            return c.get();
        } catch (ApiError e) {
            return List.of();
        }
    }

    private static String f3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    private static IllegalStateException unknown(String name) {
        return new IllegalStateException("no computation for the CLI field #" + name);
    }
}
