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

    private Computed() {}

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
            default -> {
                List<String> m = members(name, o);
                yield String.join("; ", m);
            }
        };
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
                    yield entries(name, o).stream().map(e -> e.getKey() + ": " + e.getValue()).toList();
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
            Map<String, Object> metrics = o.resolver().record("VM_metrics", str(o.raw().get("metrics")));
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
            double v =
                    switch (o.spec().apiClass()) {
                        case "PIF" -> api.host()
                                .queryDataSource(str(o.raw().get("host")), "pif_" + device + (read ? "_rx" : "_tx"));
                        case "VIF" -> api.vm()
                                .queryDataSource(str(o.raw().get("VM")), "vif_" + device + (read ? "_rx" : "_tx"));
                        case "VBD" -> api.vm()
                                .queryDataSource(
                                        str(o.raw().get("VM")), "vbd_" + device + (read ? "_read" : "_write"));
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
