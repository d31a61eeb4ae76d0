package org.xapijava.cli.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.cli.records.Filters;
import org.xapijava.cli.records.ObjectRecord;
import org.xapijava.cli.records.RecordTables;
import org.xapijava.cli.records.Sizes;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;

/** The VM lifecycle commands of {@code cli_operations.ml}: install, uninstall, start and the power operations, clones. */
final class VmCommands {
    private static final Selectors.VmScope CONTROL_DOMAINS = new Selectors.VmScope(true, false);
    private static final Selectors.VmScope TEMPLATES = new Selectors.VmScope(false, true);
    private static final Selectors.VmScope BOTH = new Selectors.VmScope(true, true);

    private VmCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("vm-start", VmCommands::start);
        t.put("vm-shutdown", c -> {
            boolean force = c.params().bool("force", false);
            Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of("progress"), vm -> {
                Tasks.await(
                        c,
                        force
                                ? c.api().vm().hardShutdownAsync(vm.ref())
                                : c.api().vm().cleanShutdownAsync(vm.ref()));
                return null;
            });
        });
        t.put("vm-reboot", c -> {
            boolean force = c.params().bool("force", false);
            Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of(), vm -> {
                if (force) c.api().vm().hardReboot(vm.ref());
                else c.api().vm().cleanReboot(vm.ref());
                return null;
            });
        });
        t.put(
                "vm-suspend",
                c -> Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of("progress"), vm -> {
                    Tasks.await(c, c.api().vm().suspendAsync(vm.ref()));
                    return null;
                }));
        t.put("vm-resume", VmCommands::resume);
        t.put(
                "vm-pause",
                c -> Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of(), vm -> {
                    c.api().vm().pause(vm.ref());
                    return null;
                }));
        t.put(
                "vm-unpause",
                c -> Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of(), vm -> {
                    c.api().vm().unpause(vm.ref());
                    return null;
                }));
        t.put(
                "vm-restart-device-models",
                c -> Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of(), vm -> {
                    c.api().vm().restartDeviceModels(vm.ref());
                    return null;
                }));
        t.put("vm-reset-powerstate", c -> {
            CliArgs.failWithoutForce(c);
            Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of(), vm -> {
                c.api().vm().powerStateReset(vm.ref());
                return null;
            });
        });
        t.put("vm-destroy", c -> {
            String vm = c.api().vm().getByUuid(c.params().get("uuid"));
            if (c.api().vm().getIsControlDomain(vm)) {
                throw new ApiError("OPERATION_NOT_ALLOWED", "You cannot destroy a control domain via the CLI");
            }
            c.api().vm().destroy(vm);
        });
        t.put("vm-install", VmCommands::install);
        t.put("vm-uninstall", c -> {
            List<String> vms = Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of(), ObjectRecord::ref);
            List<String> all = new ArrayList<>(vms);
            for (String vm : vms) all.addAll(c.api().vm().getSnapshots(vm));
            uninstall(c, all);
        });
        t.put(
                "template-uninstall",
                c -> uninstall(c, List.of(template(c.api(), c.params().get("template-uuid")))));
        t.put(
                "vm-clone",
                c -> cloneLike(c, TEMPLATES, (vm, name) -> c.api().vm().clone(vm, name)));
        t.put("vm-snapshot", c -> {
            List<String> ignore = new ArrayList<>();
            for (String u : c.params()
                    .opt("ignore-vdi-uuids")
                    .map(s -> s.split(",", -1))
                    .orElse(new String[0])) {
                ignore.add(c.api().vdi().getByUuid(u));
            }
            cloneLike(c, Selectors.VmScope.ORDINARY, (vm, name) -> c.api().vm().snapshot(vm, name, ignore));
        });
        t.put(
                "vm-checkpoint",
                c -> cloneLike(
                        c,
                        Selectors.VmScope.ORDINARY,
                        (vm, name) -> c.api().vm().checkpoint(vm, name)));
        t.put("vm-copy", VmCommands::copy);
        t.put("snapshot-revert", c -> c.api().vm().revert(snapshot(c.api(), snapshotUuid(c))));
        t.put("snapshot-clone", c -> snapshotOp(c, (vm, name) -> c.api().vm().clone(vm, name)));
        t.put("snapshot-copy", c -> {
            String sr = c.params()
                    .opt("sr-uuid")
                    .map(u -> c.api().sr().getByUuid(u))
                    .orElse(NULL);
            snapshotOp(c, (vm, name) -> c.api().vm().copy(vm, name, sr));
        });
        t.put("snapshot-destroy", c -> c.api().vm().destroy(snapshot(c.api(), snapshotUuid(c))));
        t.put("snapshot-uninstall", c -> uninstall(c, List.of(snapshot(c.api(), snapshotUuid(c)))));
        t.put("snapshot-reset-powerstate", c -> {
            CliArgs.failWithoutForce(c);
            c.api().vm().powerStateReset(snapshot(c.api(), snapshotUuid(c)));
        });
        t.put("vm-memory-set", c -> {
            long m = Sizes.parse("memory", c.params().get("memory"));
            Selectors.vms(c, CONTROL_DOMAINS, true, Set.of("memory"), vm -> {
                c.api().vm().setMemory(vm.ref(), m);
                return null;
            });
        });
        t.put("vm-memory-limits-set", c -> {
            Params p = c.params();
            long smin = Sizes.parse("static-min", p.get("static-min"));
            long smax = Sizes.parse("static-max", p.get("static-max"));
            long dmin = Sizes.parse("dynamic-min", p.get("dynamic-min"));
            long dmax = Sizes.parse("dynamic-max", p.get("dynamic-max"));
            Selectors.vms(c, BOTH, true, Set.of("static-min", "static-max", "dynamic-min", "dynamic-max"), vm -> {
                c.api().vm().setMemoryLimits(vm.ref(), smin, smax, dmin, dmax);
                return null;
            });
        });
        t.put("vm-memory-static-range-set", c -> {
            long min = Sizes.parse("min", c.params().get("min"));
            long max = Sizes.parse("max", c.params().get("max"));
            Selectors.vms(c, BOTH, true, Set.of("min", "max"), vm -> {
                c.api().vm().setMemoryStaticRange(vm.ref(), min, max);
                return null;
            });
        });
        t.put("vm-memory-dynamic-range-set", c -> {
            long min = Sizes.parse("min", c.params().get("min"));
            long max = Sizes.parse("max", c.params().get("max"));
            Selectors.vms(c, BOTH, true, Set.of("min", "max"), vm -> {
                c.api().vm().setMemoryDynamicRange(vm.ref(), min, max);
                return null;
            });
        });
        t.put(
                "vm-compute-memory-overhead",
                c -> Selectors.vms(c, CONTROL_DOMAINS, true, Set.of(), vm -> {
                    c.out().msg(Long.toString(c.api().vm().computeMemoryOverhead(vm.ref())));
                    return null;
                }));
        t.put("vm-compute-maximum-memory", c -> {
            long total = Sizes.parse("total", c.params().get("total"));
            boolean approximate = c.params().bool("approximate", false);
            Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of("total", "approximate"), vm -> {
                c.out().list(List.of(Long.toString(c.api().vm().maximiseMemory(vm.ref(), total, approximate))));
                return null;
            });
        });
        t.put("vm-vcpu-hotplug", c -> {
            long n = parseLong("new-vcpus", c.params().get("new-vcpus"));
            Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of("new-vcpus"), vm -> {
                c.api().vm().setVCPUsNumberLive(vm.ref(), n);
                return null;
            });
        });
        t.put("vm-copy-bios-strings", c -> {
            String host = c.api().host().getByUuid(c.params().get("host-uuid"));
            Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of("host-uuid"), vm -> {
                c.api().vm().copyBiosStrings(vm.ref(), host);
                return null;
            });
        });
    }

    static final String NULL = "OpaqueRef:NULL";

    static long parseLong(String name, String v) {
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw new CliFailure("Failed to parse parameter '" + name + "': expecting an integer");
        }
    }

    private static void start(CommandContext c) {
        boolean force = c.params().bool("force", false);
        boolean paused = c.params().bool("paused", false);
        String on = c.params().opt("on").orElse(null);
        Selectors.vms(c, CONTROL_DOMAINS, true, Set.of("on", "paused", "progress"), vm -> {
            String task = on != null
                    ? c.api().vm().startOnAsync(vm.ref(), HostCommands.byNameOrId(c, on), paused, force)
                    : c.api().vm().startAsync(vm.ref(), paused, force);
            withHostReport(c, vm.ref(), () -> Tasks.await(c, task));
            return null;
        });
    }

    private static void resume(CommandContext c) {
        boolean force = c.params().bool("force", false);
        String on = c.params().opt("on").orElse(null);
        Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of("on", "progress"), vm -> {
            if (on != null) {
                Tasks.await(c, c.api().vm().resumeOnAsync(vm.ref(), HostCommands.byNameOrId(c, on), false, force));
            } else {
                withHostReport(c, vm.ref(), () -> Tasks.await(c, c.api().vm().resumeAsync(vm.ref(), false, force)));
            }
            return null;
        });
    }

    /**
     * Xapi's {@code hook_no_hosts_available}: when {@code body} fails with {@code NO_HOSTS_AVAILABLE}, the reasons
     * per host are printed before the error.
     */
    private static void withHostReport(CommandContext c, String vm, Runnable body) {
        try {
            body.run();
        } catch (ApiError e) {
            if (ErrorCodes.NO_HOSTS_AVAILABLE.equals(e.code())) {
                c.out()
                        .list(List.of(
                                "There are no suitable hosts to start this VM on.",
                                "The following table provides per-host reasons for why the VM could not be started:",
                                ""));
                VmDeviceCommands.printHostReport(c, vm);
            }
            throw e;
        }
    }

    /** A clone-like call on one VM: its new name first. */
    @FunctionalInterface
    private interface CloneOp {
        String apply(String vm, String newName);
    }

    /** Xapi's {@code vm_clone_aux}. */
    private static void cloneLike(CommandContext c, Selectors.VmScope scope, CloneOp op) {
        String name = c.params().get("new-name-label");
        List<String> made = Selectors.vms(
                c,
                scope,
                true,
                Set.of("new-name-label", "new-name-description", "ignore-vdi-uuids"),
                vm -> op.apply(vm.ref(), name));
        c.params().opt("new-name-description").ifPresent(d -> c.api().vm().setNameDescription(made.get(0), d));
        c.out().list(made.stream().map(vm -> c.api().vm().getUuid(vm)).toList());
    }

    private static void copy(CommandContext c) {
        String name = c.params().get("new-name-label");
        String sr =
                c.params().opt("sr-uuid").map(u -> c.api().sr().getByUuid(u)).orElse(NULL);
        List<String> made = Selectors.vms(
                c,
                TEMPLATES,
                false,
                Set.of("new-name-label", "new-name-description", "sr-uuid"),
                vm -> c.api().vm().copy(vm.ref(), name, sr));
        c.params().opt("new-name-description").ifPresent(d -> c.api().vm().setNameDescription(made.get(0), d));
        c.out().list(made.stream().map(vm -> c.api().vm().getUuid(vm)).toList());
    }

    private static String snapshotUuid(CommandContext c) {
        return c.params()
                .opt("snapshot-uuid")
                .or(() -> c.params().opt("uuid"))
                .orElseThrow(() -> new CliFailure("A parameter 'snapshot-uuid' is required"));
    }

    /** Xapi's {@code get_snapshotVM_by_uuid}. */
    static String snapshot(XenApi api, String uuid) {
        String vm = api.vm().getByUuid(uuid);
        if (!api.vm().getIsASnapshot(vm)) {
            throw new CliFailure(
                    "This operation can only be performed on a VM snapshot. " + uuid + " is not a VM snapshot.");
        }
        return vm;
    }

    /** Xapi's {@code get_templateVM_by_uuid}. */
    static String template(XenApi api, String uuid) {
        String vm = api.vm().getByUuid(uuid);
        if (!api.vm().getIsATemplate(vm)) {
            throw new CliFailure(
                    "This operation can only be performed on a VM template. " + uuid + " is not a VM template.");
        }
        return vm;
    }

    private static void snapshotOp(CommandContext c, CloneOp op) {
        String name = c.params().get("new-name-label");
        String made = op.apply(snapshot(c.api(), snapshotUuid(c)), name);
        c.params().opt("new-name-description").ifPresent(d -> c.api().vm().setNameDescription(made, d));
        c.out().list(List.of(c.api().vm().getUuid(made)));
    }

    /** Xapi's {@code vm_uninstall_common}: what goes, a prompt unless forced, then the VMs and their owned disks. */
    private static void uninstall(CommandContext c, List<String> vms) throws Exception {
        XenApi api = c.api();
        List<String> shown = new ArrayList<>();
        List<Runnable> destroy = new ArrayList<>();
        for (String vm : vms) {
            List<String> vdis = new ArrayList<>();
            for (String vbd : api.vm().getVBDs(vm)) {
                try {
                    Map<String, String> oc = api.vbd().getOtherConfig(vbd);
                    String vdi = api.vbd().getVDI(vbd);
                    api.vdi().getUuid(vdi);
                    if (oc.containsKey("owner")) vdis.add(vdi);
                } catch (ApiError e) {
                    // an empty drive or a disk already gone: nothing to destroy
                }
            }
            String suspend = NULL;
            try {
                String s = api.vm().getSuspendVDI(vm);
                api.vdi().getUuid(s);
                suspend = s;
            } catch (ApiError e) {
                // none
            }
            shown.add("VM : " + api.vm().getUuid(vm) + " (" + api.vm().getNameLabel(vm) + ")");
            for (String vdi : vdis) shown.add(describeVdi(api, vdi));
            if (!suspend.equals(NULL)) shown.add(describeVdi(api, suspend));
            String suspendVdi = suspend;
            destroy.add(() -> {
                if (api.vm().getPowerState(vm) != VmPowerState.HALTED) api.vm().hardShutdown(vm);
                api.vm().destroy(vm);
                for (String vdi : vdis) api.vdi().destroy(vdi);
                if (!suspendVdi.equals(NULL)) {
                    try {
                        api.vdi().destroy(suspendVdi);
                    } catch (ApiError e) {
                        // as Xapi: ignored
                    }
                }
            });
        }
        c.conn().print("The following items are about to be destroyed");
        for (String s : shown) c.conn().print(s);
        if (c.params().bool("force", false) || c.conn().userSaysYes()) {
            destroy.forEach(Runnable::run);
            c.conn().print("All objects destroyed");
        }
    }

    private static String describeVdi(XenApi api, String vdi) {
        Map<String, Object> r = api.vdi().getRecord(vdi);
        Object vbds = r.get("VBDs");
        boolean shared = vbds instanceof List<?> l && l.size() > 1;
        return "VDI: " + r.get("uuid") + " (" + r.get("name_label") + ") "
                + (shared ? " ** WARNING: disk is shared by other VMs" : "");
    }

    /** {@code vm-install}: the template found by uuid or name, then {@code vm_install_real}. */
    private static void install(CommandContext c) {
        XenApi api = c.api();
        Params p = c.params();
        String template;
        if (p.has("template-uuid")) {
            try {
                template = api.vm().getByUuid(p.get("template-uuid"));
            } catch (ApiError e) {
                throw new CliFailure("Cannot find template");
            }
        } else if (p.has("template-name-label") || p.has("template-name")) {
            template = templateByName(c, p.opt("template-name-label").orElseGet(() -> p.get("template-name")));
        } else if (p.has("template")) {
            try {
                template = api.vm().getByUuid(p.get("template"));
            } catch (ApiError e) {
                template = templateByName(c, p.get("template"));
            }
        } else {
            throw new CliFailure("Template must be specified by parameter 'template-uuid', 'template-name',"
                    + " 'template-name-label' or 'template'");
        }
        if (!api.vm().getIsATemplate(template)) throw new CliFailure("Can only install from templates");
        installFrom(c, template, p.get("new-name-label"), "Installed via xe CLI");
    }

    private static String templateByName(CommandContext c, String name) {
        ApiResolver r = new ApiResolver(c.api(), c.host());
        List<ObjectRecord> found = Filters.apply(
                r.all(RecordTables.get().record("vm"), "true"),
                List.of(
                        Map.entry("name-label", name),
                        Map.entry("is-a-template", "true"),
                        Map.entry("is-control-domain", "false")));
        if (found.isEmpty()) throw new CliFailure("No templates matched");
        if (found.size() > 1) throw new CliFailure("More than one matching template found");
        return found.get(0).ref();
    }

    private static void installFrom(CommandContext c, String template, String name, String description) {
        XenApi api = c.api();
        Params p = c.params();
        String sr = null;
        if (api.vm().getIsASnapshot(template)) {
            if (p.has("sr-name-label") || p.has("sr-uuid")) {
                throw new CliFailure("Do not use the sr-name-label or sr-uuid argument when installing from a snapshot."
                        + " By default, it will install each new disk on the same SR as the corresponding snapshot"
                        + " disks.");
            }
            sr = NULL;
        } else if (p.has("sr-uuid")) {
            sr = api.sr().getByUuid(p.get("sr-uuid"));
        }
        if (p.has("sr-name-label")) {
            List<String> named = api.sr().getByNameLabel(p.get("sr-name-label"));
            if (named.isEmpty()) throw new CliFailure("No SR with that name-label found");
            if (sr != null) {
                if (!named.contains(sr)) {
                    throw new CliFailure("SR specified via sr-uuid doesn't have the name specified via sr-name-label");
                }
            } else if (named.size() == 1) {
                sr = named.get(0);
            } else {
                throw new CliFailure("Multiple SRs with that name-label found");
            }
        }
        String suspendSr = sr != null && !sr.equals(NULL) ? sr : api.vm().getSuspendSR(template);
        String srUuid;
        if (sr != null && !sr.equals(NULL)) {
            srUuid = api.sr().getUuid(sr);
        } else {
            srUuid = defaultSrUuid(api);
            if (srUuid == null) {
                if (api.vm().getOtherConfig(template).containsKey("disks")) {
                    throw new CliFailure("Failed to find a valid default SR for the Pool. Please provide an"
                            + " sr-name-label or sr-uuid parameter.");
                }
                srUuid = "";
            }
        }
        String vm = sr != null && !sr.equals(NULL)
                ? api.vm().copy(template, name, sr)
                : api.vm().clone(template, name);
        try {
            api.vm().setNameDescription(vm, description);
            api.vm().setSuspendSR(vm, suspendSr);
            Map<String, String> oc = api.vm().getOtherConfig(vm);
            if (oc.containsKey("disks")) {
                api.vm().removeFromOtherConfig(vm, "disks");
                api.vm().addToOtherConfig(vm, "disks", withSr(oc.get("disks"), srUuid));
            }
            String pool = api.pool().getAll().get(0);
            boolean wantDevice = recommends(api.vm().getRecommendations(template), "has-vendor-device")
                    && !api.pool().getPolicyNoVendorDevice(pool);
            api.vm().setHasVendorDevice(vm, wantDevice);
            api.vm().provision(vm);
            if (p.has("copy-bios-strings-from")) {
                api.vm().copyBiosStrings(vm, api.host().getByUuid(p.get("copy-bios-strings-from")));
            }
            c.out().list(List.of(api.vm().getUuid(vm)));
        } catch (RuntimeException e) {
            try {
                api.vm().destroy(vm);
            } catch (RuntimeException ignored) {
                // the original failure is what the user needs
            }
            throw e;
        }
    }

    /** Xapi's {@code get_default_sr_uuid}: the pool's default SR, or null when it has none. */
    static String defaultSrUuid(XenApi api) {
        try {
            String sr = api.pool().getDefaultSR(api.pool().getAll().get(0));
            return api.sr().getUuid(sr);
        } catch (ApiError e) {
            return null;
        }
    }

    private static final Pattern DISK = Pattern.compile("<disk\\b[^>]*>");
    private static final Pattern SR_ATTR = Pattern.compile("\\bsr=\"[^\"]*\"");

    /** Xapi's {@code rewrite_provisioning_xml}: every {@code <disk>} of the provision document put on {@code sr}. */
    static String withSr(String xml, String sr) {
        if (!xml.strip().startsWith("<provision")) return xml;
        Matcher m = DISK.matcher(xml);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String disk = SR_ATTR.matcher(m.group()).replaceFirst(Matcher.quoteReplacement("sr=\"" + sr + "\""));
            m.appendReplacement(b, Matcher.quoteReplacement(disk));
        }
        m.appendTail(b);
        return b.toString();
    }

    /** Whether a template's recommendations say {@code <restriction field="f" value="true"/>}. */
    static boolean recommends(String xml, String field) {
        Matcher m = Pattern.compile("<restriction\\b[^>]*>").matcher(xml == null ? "" : xml);
        while (m.find()) {
            String r = m.group();
            if (r.contains("field=\"" + field + "\"")) return r.contains("value=\"true\"");
        }
        return false;
    }
}
