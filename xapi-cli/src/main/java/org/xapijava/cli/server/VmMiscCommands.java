package org.xapijava.cli.server;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.cli.records.MissingField;
import org.xapijava.cli.records.ObjectRecord;
import org.xapijava.cli.records.RecordSpec;
import org.xapijava.cli.records.RecordTables;
import org.xapijava.cli.records.Sizes;
import org.xapijava.model.BiosStrings;
import org.xapijava.model.api.DataSource;
import org.xapijava.model.api.enums.VmUefiMode;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;

/**
 * More VM commands of {@code cli_operations.ml}: intra-pool migration, data sources (of VMs, hosts and SRs),
 * plugins, BIOS strings, UEFI and Secure Boot, services, memory target and shadow multiplier, WLB recommendations,
 * and {@code event-wait}.
 */
final class VmMiscCommands {
    private static final Selectors.VmScope CONTROL_DOMAINS = new Selectors.VmScope(true, false);

    /** The parameters that make {@code vm-migrate} a cross-pool (storage) migration. */
    private static final List<String> SXM_PARAMS = List.of(
            "remote-master",
            "remote-username",
            "vif",
            "remote-password",
            "remote-network",
            "vdi",
            "vgpu",
            "image-format");

    /** The classes {@code event-wait} can watch (Xapi's list), by their CLI record. */
    private static final Map<String, String> EVENT_CLASSES = Map.ofEntries(
            Map.entry("vm", "vm"),
            Map.entry("vdi", "vdi"),
            Map.entry("sr", "sr"),
            Map.entry("host", "host"),
            Map.entry("network", "net"),
            Map.entry("vif", "vif"),
            Map.entry("pif", "pif"),
            Map.entry("vbd", "vbd"),
            Map.entry("pbd", "pbd"),
            Map.entry("pool", "pool"),
            Map.entry("task", "task"),
            Map.entry("subject", "subject"),
            Map.entry("role", "role"),
            Map.entry("secret", "secret"),
            Map.entry("vmss", "vmss"));

    private VmMiscCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("vm-migrate", VmMiscCommands::migrate);
        bindDataSources(t);
        t.put("vm-call-plugin", c -> {
            String vm = c.api().vm().getByUuid(c.params().get("vm-uuid"));
            Map<String, String> args = pluginArgs(c);
            c.out()
                    .list(List.of(c.api()
                            .vm()
                            .callPlugin(vm, c.params().get("plugin"), c.params().get("fn"), args)));
        });
        t.put("vm-call-host-plugin", c -> {
            String vm = c.api().vm().getByUuid(c.params().get("vm-uuid"));
            Map<String, String> args = pluginArgs(c);
            c.out()
                    .list(List.of(c.api()
                            .vm()
                            .callHostPlugin(
                                    vm, c.params().get("plugin"), c.params().get("fn"), args)));
        });
        t.put(
                "vm-is-bios-customized",
                c -> Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of(), vm -> {
                    Map<String, String> bios = c.api().vm().getBiosStrings(vm.ref());
                    if (bios.isEmpty()) c.out().msg("The BIOS strings of this VM have not yet been set.");
                    else if (bios.equals(BiosStrings.GENERIC)) c.out().msg("This VM is BIOS-generic.");
                    else c.out().msg("This VM is BIOS-customized.");
                    return null;
                }));
        t.put("vm-set-uefi-mode", c -> {
            String text = c.params().get("mode");
            VmUefiMode mode = switch (text) {
                case "setup" -> VmUefiMode.SETUP;
                case "user" -> VmUefiMode.USER;
                default -> throw new CliFailure("Expected 'user','setup', got " + text);
            };
            String vm = c.api().vm().getByUuid(c.params().get("uuid"));
            c.out().msg(c.api().vm().setUefiMode(vm, mode));
        });
        t.put("vm-get-secureboot-readiness", c -> {
            String vm = c.api().vm().getByUuid(c.params().get("uuid"));
            c.out().msg(c.api().vm().getSecurebootReadiness(vm).wire());
        });
        t.put(
                "vm-query-services",
                c -> Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of(), vm -> {
                    List<Map.Entry<String, String>> row = new ArrayList<>();
                    row.add(Map.entry("Type", "Name"));
                    row.addAll(c.api().vm().queryServices(vm.ref()).entrySet());
                    c.out().table(List.of(new Printer.Row(row)));
                    return null;
                }));
        // vm-memory-balloon is Xapi's other name of the same operation (cli_frontend.ml: vm_memory_target_set)
        for (String name : List.of("vm-memory-target-set", "vm-memory-balloon")) {
            t.put(name, c -> {
                long target = Sizes.parse("target", c.params().get("target"));
                Selectors.vms(c, CONTROL_DOMAINS, true, Set.of("target"), vm -> {
                    c.api().vm().setMemoryDynamicRange(vm.ref(), target, target);
                    return null;
                });
            });
        }
        t.put("vm-memory-shadow-multiplier-set", c -> {
            double m;
            try {
                m = Double.parseDouble(c.params().get("multiplier").strip());
            } catch (NumberFormatException e) {
                throw new CliFailure("Failed to parse parameter 'multiplier': expecting a float");
            }
            Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of("multiplier"), vm -> {
                c.api().vm().setShadowMultiplierLive(vm.ref(), m);
                return null;
            });
        });
        t.put("vm-retrieve-wlb-recommendations", VmMiscCommands::wlbRecommendations);
        t.put("vm-sysprep", VmMiscCommands::sysprep);
        t.put("event-wait", VmMiscCommands::eventWait);
    }

    /** {@code vm-,host-,sr-data-source-list/record/query/forget}, each on exactly one object. */
    private static void bindDataSources(Map<String, CommandImpl> t) {
        t.put(
                "vm-data-source-list",
                c -> Selectors.vms(c, CONTROL_DOMAINS, false, Set.of(), vm -> {
                    dataSourceTable(c, c.api().vm().getDataSources(vm.ref()));
                    return null;
                }));
        t.put(
                "vm-data-source-record",
                c -> Selectors.vms(c, CONTROL_DOMAINS, false, Set.of("data-source"), vm -> {
                    c.api().vm().recordDataSource(vm.ref(), c.params().get("data-source"));
                    return null;
                }));
        t.put(
                "vm-data-source-query",
                c -> Selectors.vms(c, CONTROL_DOMAINS, false, Set.of("data-source"), vm -> {
                    c.out()
                            .list(List.of(fixed6(c.api()
                                    .vm()
                                    .queryDataSource(vm.ref(), c.params().get("data-source")))));
                    return null;
                }));
        t.put(
                "vm-data-source-forget",
                c -> Selectors.vms(c, CONTROL_DOMAINS, false, Set.of("data-source"), vm -> {
                    c.api().vm().forgetDataSourceArchives(vm.ref(), c.params().get("data-source"));
                    return null;
                }));
        t.put(
                "host-data-source-list",
                c -> Selectors.hosts(c, false, Set.of(), h -> {
                    dataSourceTable(c, c.api().host().getDataSources(h.ref()));
                    return null;
                }));
        t.put(
                "host-data-source-record",
                c -> Selectors.hosts(c, false, Set.of("data-source"), h -> {
                    c.api().host().recordDataSource(h.ref(), c.params().get("data-source"));
                    return null;
                }));
        t.put(
                "host-data-source-query",
                c -> Selectors.hosts(c, false, Set.of("data-source"), h -> {
                    c.out()
                            .list(List.of(fixed6(c.api()
                                    .host()
                                    .queryDataSource(h.ref(), c.params().get("data-source")))));
                    return null;
                }));
        t.put(
                "host-data-source-forget",
                c -> Selectors.hosts(c, false, Set.of("data-source"), h -> {
                    c.api().host().forgetDataSourceArchives(h.ref(), c.params().get("data-source"));
                    return null;
                }));
        t.put(
                "sr-data-source-list",
                c -> Selectors.srs(c, false, Set.of(), sr -> {
                    dataSourceTable(c, c.api().sr().getDataSources(sr.ref()));
                    return null;
                }));
        t.put(
                "sr-data-source-record",
                c -> Selectors.srs(c, false, Set.of("data-source"), sr -> {
                    c.api().sr().recordDataSource(sr.ref(), c.params().get("data-source"));
                    return null;
                }));
        t.put(
                "sr-data-source-query",
                c -> Selectors.srs(c, false, Set.of("data-source"), sr -> {
                    c.out()
                            .list(List.of(fixed6(c.api()
                                    .sr()
                                    .queryDataSource(sr.ref(), c.params().get("data-source")))));
                    return null;
                }));
        t.put(
                "sr-data-source-forget",
                c -> Selectors.srs(c, false, Set.of("data-source"), sr -> {
                    c.api().sr().forgetDataSourceArchives(sr.ref(), c.params().get("data-source"));
                    return null;
                }));
    }

    /** Xapi's {@code data_source_to_kvs}, one record per data source. */
    private static void dataSourceTable(CommandContext c, List<Map<String, Object>> dss) {
        List<Printer.Row> rows = new ArrayList<>();
        for (Map<String, Object> ds : dss) {
            rows.add(new Printer.Row(List.of(
                    Map.entry("name_label", String.valueOf(ds.get(DataSource.NAME_LABEL.name()))),
                    Map.entry("name_description", String.valueOf(ds.get(DataSource.NAME_DESCRIPTION.name()))),
                    Map.entry("enabled", String.valueOf(ds.get(DataSource.ENABLED.name()))),
                    Map.entry("standard", String.valueOf(ds.get(DataSource.STANDARD.name()))),
                    Map.entry("min", ocamlFloat(((Number) ds.get(DataSource.MIN.name())).doubleValue())),
                    Map.entry("max", ocamlFloat(((Number) ds.get(DataSource.MAX.name())).doubleValue())),
                    Map.entry("units", String.valueOf(ds.get(DataSource.UNITS.name()))))));
        }
        c.out().table(rows);
    }

    /** C's {@code %f}. */
    static String fixed6(double v) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        return String.format(Locale.ROOT, "%f", v);
    }

    /** OCaml's {@code string_of_float}: {@code %.12g}, with a trailing {@code .} when that looks like an integer. */
    static String ocamlFloat(double v) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        String g = cG12(v);
        for (int i = 0; i < g.length(); i++) {
            char ch = g.charAt(i);
            if (ch != '-' && (ch < '0' || ch > '9')) return g;
        }
        return g + ".";
    }

    /** C's {@code %.12g}. */
    private static String cG12(double v) {
        if (v == 0) return (1 / v < 0) ? "-0" : "0";
        BigDecimal d = new BigDecimal(v).round(new MathContext(12));
        int exp = d.precision() - d.scale() - 1;
        if (exp < -4 || exp >= 12) {
            BigDecimal mant = d.movePointLeft(exp).stripTrailingZeros();
            String m = mant.toPlainString();
            return m + "e" + (exp < 0 ? "-" : "+") + String.format(Locale.ROOT, "%02d", Math.abs(exp));
        }
        String s = d.stripTrailingZeros().toPlainString();
        return s;
    }

    /**
     * The {@code args:} map of the plugin commands; {@code args:k:file=path} reads the value from the client's file
     * {@code path} ({@code args_file}).
     */
    private static Map<String, String> pluginArgs(CommandContext c) throws IOException {
        Map<String, String> args = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : c.params().map("args")) {
            String k = e.getKey();
            int colon = k.indexOf(':');
            if (colon >= 0 && k.substring(colon + 1).equals("file")) {
                args.put(k.substring(0, colon), CliArgs.fileOrFail(c, "file " + e.getValue(), e.getValue()));
            } else {
                args.put(k, e.getValue());
            }
        }
        return args;
    }

    /**
     * Xapi's {@code vm_migrate}: with a storage parameter the storage live migration ({@link StorageMigration}), else
     * {@code VM.pool_migrate} within the pool.
     */
    private static void migrate(CommandContext c) {
        List<Map.Entry<String, String>> renamed = new ArrayList<>();
        for (Map.Entry<String, String> e : c.params().entries()) {
            boolean host = e.getKey().equals("host-uuid") || e.getKey().equals("host-name");
            renamed.add(host ? Map.entry("host", e.getValue()) : e);
        }
        Params p = new Params(renamed);
        CommandContext cm = new CommandContext(c.conn(), c.out(), c.api(), p, c.host(), c.unixSocket());
        Map<String, String> options = new LinkedHashMap<>();
        p.opt("compress").ifPresent(v -> options.put("compress", v));
        for (String k : List.of("force", "live", "copy"))
            options.put(k, Boolean.toString(ocamlBool(p.getOr(k, "false"))));
        boolean sxm = p.entries().stream()
                .anyMatch(e -> SXM_PARAMS.stream().anyMatch(s -> e.getKey().startsWith(s)));
        if (sxm) {
            Set<String> ignore = new java.util.HashSet<>(
                    List.of("host", "host-uuid", "host-name", "live", "force", "copy", "compress"));
            ignore.addAll(SXM_PARAMS);
            StorageMigration.run(cm, p, options, ignore);
            return;
        }
        if (!p.has("host")) throw new CliFailure("No destination host specified");
        String host = HostCommands.byNameOrId(cm, p.get("host"));
        Selectors.vms(cm, CONTROL_DOMAINS, true, Set.of("host", "host-uuid", "host-name", "live", "compress"), vm -> {
            c.api().vm().poolMigrate(vm.ref(), host, options);
            return null;
        });
    }

    /** OCaml's {@code bool_of_string}: exactly {@code true} or {@code false}. */
    private static boolean ocamlBool(String v) {
        return switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new ApiError("INTERNAL_ERROR", "Invalid_argument(\"bool_of_string\")");
        };
    }

    private static void wlbRecommendations(CommandContext c) {
        XenApi api = c.api();
        List<ObjectRecord> vms;
        try {
            vms = Selectors.selectVms(c, Selectors.VmScope.ORDINARY, Set.of());
        } catch (MissingField m) {
            throw new CliFailure(
                    "Parameter '" + m.field + "' is not a field of the VM class. Failed to select VM for operation.");
        }
        if (vms.isEmpty()) throw new CliFailure("No matching VMs found");
        if (vms.size() > 1) {
            throw new CliFailure("Multiple VMs found. Operation can only be performed on one VM at a time");
        }
        List<Map.Entry<String, String>> row = new ArrayList<>();
        row.add(Map.entry("Host(Uuid)", "Stars, RecID, ZeroScoreReason"));
        for (Map.Entry<String, List<String>> e :
                api.vm().retrieveWlbRecommendations(vms.get(0).ref()).entrySet()) {
            String host = e.getKey();
            row.add(Map.entry(
                    api.host().getNameLabel(host) + "(" + api.host().getUuid(host) + ")",
                    String.join(" ", e.getValue())));
        }
        c.out().table(List.of(new Printer.Row(row)));
    }

    /** One condition of {@code event-wait}: {@code key=value} or {@code key=/=value}. */
    private record Condition(String key, String value, boolean equal) {}

    /** Xapi's {@code event_wait}: returns once some object of the class meets every condition. */
    private static void eventWait(CommandContext c) {
        String cls = c.params().get("class");
        List<Condition> conds = new ArrayList<>();
        for (Map.Entry<String, String> e : c.params().entries()) {
            String k = e.getKey();
            if (k.equals("class") || Params.STANDARD.contains(k)) continue;
            String v = e.getValue();
            conds.add(v.startsWith("/=") ? new Condition(k, v.substring(2), false) : new Condition(k, v, true));
        }
        String record = EVENT_CLASSES.get(cls);
        if (record == null) throw new CliFailure("Cli listening for class '" + cls + "' not currently implemented");
        RecordSpec spec = RecordTables.get().record(record);
        XenApi api = c.api();
        String token = "";
        List<String> classes = List.of(cls);
        boolean changed = true;
        while (true) {
            if (changed) {
                for (ObjectRecord o : new ApiResolver(api, c.host()).all(spec, "true")) {
                    if (matches(o, conds)) return;
                }
            }
            Map<String, Object> batch = Tasks.eventFrom(api, classes, token, 30.0);
            token = String.valueOf(batch.get("token"));
            changed = batch.get("events") instanceof List<?> events && !events.isEmpty();
        }
    }

    private static boolean matches(ObjectRecord o, List<Condition> conds) {
        boolean all = true;
        for (Condition k : conds) {
            String v = o.get(o.spec().field(k.key()).orElseThrow(() -> new CliFailure("key missing: " + k.key())));
            all &= k.equal() == v.equals(k.value());
        }
        return all;
    }

    /**
     * {@code vm-sysprep}: the client's {@code filename} ({@code Failed to read file.} and exit 1 when it cannot send
     * it), a {@code timeout} in seconds (180 when missing or not a number, 0 when negative), {@code VM.sysprep} on
     * each selected VM.
     */
    private static void sysprep(CommandContext c) throws Exception {
        String filename = c.params().get("filename");
        double timeout;
        try {
            timeout = Double.parseDouble(c.params().getOr("timeout", ""));
        } catch (NumberFormatException e) {
            timeout = 3.0 * 60.0;
        }
        double t = timeout < 0.0 ? 0.0 : timeout;
        String unattend = CliArgs.fileOrFail(c, "file.", filename);
        Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of("filename", "timeout"), vm -> {
            c.api().vm().sysprep(vm.ref(), unattend, t);
            return null;
        });
    }
}
