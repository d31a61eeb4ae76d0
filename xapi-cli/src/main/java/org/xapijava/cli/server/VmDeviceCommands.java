package org.xapijava.cli.server;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.cli.protocol.CliMessage;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.cli.records.FieldSpec;
import org.xapijava.cli.records.ObjectRecord;
import org.xapijava.cli.records.RecordSpec;
import org.xapijava.cli.records.RecordTables;
import org.xapijava.cli.records.Sizes;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.ConsoleProtocol;
import org.xapijava.model.api.enums.VbdType;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;

/**
 * The commands of {@code cli_operations.ml} on a VM's devices: disk, CD and VIF lists, CD and disk add/remove,
 * crash dumps, the diagnostic report and the text console.
 */
final class VmDeviceCommands {
    private static final Selectors.VmScope CONTROL_DOMAINS = new Selectors.VmScope(true, false);
    /** {@code Constants.owner_key}: the VBD's disk goes with the VM. */
    static final String OWNER_KEY = "owner";
    /** {@code Constants._sm_vm_hint}. */
    static final String SM_VM_HINT = "vmhint";

    private VmDeviceCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("vm-disk-list", c -> vmDiskList(c, false));
        t.put("vm-cd-list", c -> vmDiskList(c, true));
        t.put("snapshot-disk-list", c -> {
            String uuid = c.params()
                    .opt("snapshot-uuid")
                    .or(() -> c.params().opt("uuid"))
                    .orElseThrow(() -> new CliFailure("A parameter 'snapshot-uuid' is required"));
            String snap = VmCommands.snapshot(c.api(), uuid);
            ObjectRecord vm =
                    new ApiResolver(c.api(), c.host()).of(RecordTables.get().record("vm"), snap);
            diskList(c, vm, false);
        });
        t.put("cd-list", VmDeviceCommands::cdList);
        t.put("vm-vif-list", VmDeviceCommands::vifList);
        t.put("vm-cd-add", VmDeviceCommands::cdAdd);
        t.put("vm-cd-insert", VmDeviceCommands::cdInsert);
        t.put(
                "vm-cd-eject",
                c -> Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of(), vm -> {
                    List<String> cds = new ArrayList<>();
                    for (String vbd : vbds(vm)) if (c.api().vbd().getType(vbd) == VbdType.CD) cds.add(vbd);
                    if (cds.isEmpty()) throw new CliFailure("No CDs found");
                    if (cds.size() > 1) throw new CliFailure("Two or more CDs found. Please use vbd-eject");
                    c.api().vbd().eject(cds.get(0));
                    return null;
                }));
        t.put("vm-cd-remove", VmDeviceCommands::cdRemove);
        t.put("vm-disk-add", VmDeviceCommands::diskAdd);
        t.put("vm-disk-remove", c -> {
            String device = c.params().get("device");
            Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of("device"), vm -> {
                String found = null;
                for (String vbd : c.api().vm().getVBDs(vm.ref())) {
                    if (device.equals(c.api().vbd().getUserdevice(vbd))) {
                        found = vbd;
                        break;
                    }
                }
                if (found == null) throw new CliFailure("Disk not found");
                String vdi = c.api().vbd().getVDI(found);
                c.api().vbd().destroy(found);
                c.api().vdi().destroy(vdi);
                return null;
            });
        });
        t.put(
                "vm-crashdump-list",
                c -> Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of(), vm -> {
                    RecordSpec spec = RecordTables.get().record("crashdump");
                    ApiResolver r = new ApiResolver(c.api(), c.host());
                    List<Printer.Row> rows = new ArrayList<>();
                    for (Object cd : (List<?>) vm.raw().get(VM.CRASH_DUMPS.name())) {
                        rows.add(new Printer.Row(ObjectRecord.labelled(r.of(spec, (String) cd), spec.fields(), false)));
                    }
                    c.out().table(rows);
                    return null;
                }));
        t.put("diagnostic-vm-status", VmDeviceCommands::diagnosticVmStatus);
        t.put("diagnostic-vdi-status", VmDeviceCommands::diagnosticVdiStatus);
        t.put("console", VmDeviceCommands::console);
    }

    @SuppressWarnings("unchecked")
    private static List<String> vbds(ObjectRecord vm) {
        return (List<String>) vm.raw().get(VM.VBDS.name());
    }

    /** These parameters with {@code key} read as {@code params} (Xapi's {@code vbd-params}/{@code vdi-params}). */
    private static Params renamed(Params p, String key) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (Map.Entry<String, String> e : p.entries()) {
            out.add(e.getKey().equals(key) ? Map.entry("params", e.getValue()) : e);
        }
        return new Params(out);
    }

    private static void vmDiskList(CommandContext c, boolean cds) {
        Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of("vbd-params", "vdi-params"), vm -> {
            diskList(c, vm, cds);
            return null;
        });
    }

    /** Xapi's {@code vm_disk_list_aux}: each disk (or CD) as {@code Disk N VBD:} and, unless empty, its VDI. */
    private static void diskList(CommandContext c, ObjectRecord vm, boolean cds) {
        XenApi api = c.api();
        ApiResolver r = new ApiResolver(api, c.host());
        RecordSpec vbdSpec = RecordTables.get().record("vbd");
        RecordSpec vdiSpec = RecordTables.get().record("vdi");
        List<FieldSpec> vbdColumns = GenericCommands.columns(
                vbdSpec,
                renamed(c.params(), "vbd-params"),
                cds
                        ? List.of("uuid", "vm-name-label", "userdevice", "empty")
                        : List.of("uuid", "vm-name-label", "userdevice"));
        List<FieldSpec> vdiColumns = GenericCommands.columns(
                vdiSpec,
                renamed(c.params(), "vdi-params"),
                List.of("uuid", "name-label", "virtual-size", "sr-name-label"));
        VbdType wanted = cds ? VbdType.CD : VbdType.DISK;
        int n = 0;
        for (String vbd : vbds(vm)) {
            if (api.vbd().getType(vbd) != wanted) continue;
            ObjectRecord vbdRec = r.of(vbdSpec, vbd);
            String disk = (cds ? "CD " : "Disk ") + n;
            c.out().msg(disk + " VBD:");
            c.out().table(List.of(new Printer.Row(ObjectRecord.labelled(vbdRec, vbdColumns, false))));
            if (!api.vbd().getEmpty(vbd)) {
                ObjectRecord vdiRec = r.of(vdiSpec, api.vbd().getVDI(vbd));
                c.out().msg(disk + " VDI:");
                c.out().table(List.of(new Printer.Row(ObjectRecord.labelled(vdiRec, vdiColumns, false))));
            }
            n++;
        }
    }

    /** Xapi's {@code cd_list}: the VDIs of every SR whose content type is {@code iso}. */
    private static void cdList(CommandContext c) {
        XenApi api = c.api();
        ApiResolver r = new ApiResolver(api, c.host());
        RecordSpec vdiSpec = RecordTables.get().record("vdi");
        List<FieldSpec> columns = GenericCommands.columns(vdiSpec, c.params(), List.of("name-label", "uuid"));
        List<Printer.Row> rows = new ArrayList<>();
        for (ObjectRecord sr : r.all(RecordTables.get().record("sr"), "true")) {
            if (!"iso".equals(sr.raw().get(SR.CONTENT_TYPE.name()))) continue;
            for (String vdi : api.sr().getVDIs(sr.ref())) {
                rows.add(new Printer.Row(ObjectRecord.labelled(r.of(vdiSpec, vdi), columns, false)));
            }
        }
        c.out().table(rows);
    }

    /** Xapi's {@code vm_vif_list}: always as if {@code --multiple}. */
    private static void vifList(CommandContext c) {
        List<Map.Entry<String, String>> withMultiple = new ArrayList<>();
        withMultiple.add(Map.entry("multiple", "true"));
        withMultiple.addAll(c.params().entries());
        CommandContext cm =
                new CommandContext(c.conn(), c.out(), c.api(), new Params(withMultiple), c.host(), c.unixSocket());
        RecordSpec vifSpec = RecordTables.get().record("vif");
        List<FieldSpec> columns = GenericCommands.columns(
                vifSpec,
                c.params(),
                List.of("uuid", "device", "MAC", "network-uuid", "network-name-label", "vm-name-label"));
        Selectors.vms(cm, Selectors.VmScope.ORDINARY, true, Set.of("params"), vm -> {
            ApiResolver r = new ApiResolver(c.api(), c.host());
            List<Printer.Row> rows = new ArrayList<>();
            for (Object vif : (List<?>) vm.raw().get(VM.VIFS.name())) {
                rows.add(new Printer.Row(ObjectRecord.labelled(r.of(vifSpec, (String) vif), columns, false)));
            }
            c.out().table(rows);
            return null;
        });
    }

    /** The VDIs called {@code name} in an SR whose content type is {@code iso}. */
    private static List<String> isos(XenApi api, String name) {
        List<String> out = new ArrayList<>();
        for (String vdi : api.vdi().getByNameLabel(name)) {
            if ("iso".equals(api.sr().getContentType(api.vdi().getSR(vdi)))) out.add(vdi);
        }
        return out;
    }

    private static void cdAdd(CommandContext c) {
        String name = c.params().get("cd-name");
        List<String> vdis = isos(c.api(), name);
        if (vdis.isEmpty()) throw new CliFailure("CD " + name + " not found!");
        String device = c.params().get("device");
        Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of("cd-name", "device", "cd-location"), vm -> {
            createVbdAndPlug(c.api(), vm.ref(), vdis.get(0), device, "RO", VbdType.CD, Map.of());
            return null;
        });
    }

    private static void cdInsert(CommandContext c) {
        String name = c.params().get("cd-name");
        List<String> vdis = isos(c.api(), name);
        if (vdis.isEmpty()) throw new CliFailure("CD " + name + " not found");
        if (vdis.size() > 1) {
            throw new CliFailure("Multiple CDs named " + name + " found. Please use vbd-insert and specify uuids");
        }
        Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of("cd-name"), vm -> {
            List<String> empty = new ArrayList<>();
            for (String vbd : vbds(vm)) {
                if (c.api().vbd().getType(vbd) == VbdType.CD && c.api().vbd().getEmpty(vbd)) empty.add(vbd);
            }
            if (empty.isEmpty()) throw new ApiError("VM_NO_EMPTY_CD_VBD", vm.ref());
            if (empty.size() > 1) throw new CliFailure("Two or more empty CD devices found. Please use vbd-insert");
            c.api().vbd().insert(empty.get(0), vdis.get(0));
            return null;
        });
    }

    private static void cdRemove(CommandContext c) {
        String name = c.params().get("cd-name");
        XenApi api = c.api();
        Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of("cd-name"), vm -> {
            String found = null;
            for (String vbd : vbds(vm)) {
                boolean match;
                try {
                    String vdi = api.vbd().getVDI(vbd);
                    String sr = api.vdi().getSR(vdi);
                    match = "iso".equals(api.sr().getContentType(sr))
                            && name.equals(api.vdi().getNameLabel(vdi));
                } catch (ApiError e) {
                    // an empty drive: its VDI handle is invalid
                    match = name.equals("<EMPTY>");
                }
                if (match) {
                    found = vbd;
                    break;
                }
            }
            if (found == null) throw new CliFailure("Disk not found");
            api.vbd().destroy(found);
            return null;
        });
    }

    private static void diskAdd(CommandContext c) {
        XenApi api = c.api();
        long size = Sizes.parse("disk-size", c.params().get("disk-size"));
        String device = c.params().get("device");
        String sr;
        if (c.params().has("sr-uuid")) {
            sr = api.sr().getByUuid(c.params().get("sr-uuid"));
        } else {
            String uuid = VmCommands.defaultSrUuid(api);
            if (uuid == null) throw new CliFailure("No default Pool SR set; you must specify an SR on the commandline");
            sr = api.sr().getByUuid(uuid);
        }
        Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of("sr-uuid", "device", "disk-size"), vm -> {
            String name = "Created by xe";
            Map<String, Object> r = new HashMap<>();
            r.put(VDI.NAME_LABEL.name(), name);
            r.put(VDI.NAME_DESCRIPTION.name(), name);
            r.put(VDI.SR.name(), sr);
            r.put(VDI.VIRTUAL_SIZE.name(), size);
            r.put(VDI.TYPE.name(), "user");
            r.put(VDI.SHARABLE.name(), false);
            r.put(VDI.READ_ONLY.name(), false);
            r.put(VDI.OTHER_CONFIG.name(), Map.of());
            r.put(VDI.XENSTORE_DATA.name(), Map.of());
            r.put(VDI.SM_CONFIG.name(), Map.of(SM_VM_HINT, api.vm().getUuid(vm.ref())));
            r.put(VDI.TAGS.name(), List.of());
            String vdi = api.vdi().create(r);
            try {
                createVbdAndPlug(api, vm.ref(), vdi, device, "RW", VbdType.DISK, Map.of(OWNER_KEY, ""));
            } catch (RuntimeException e) {
                api.vdi().destroy(vdi);
                throw e;
            }
            return null;
        });
    }

    /** Xapi's {@code create_vbd_and_plug_with_other_config}: a plug that fails leaves the VBD unplugged. */
    static void createVbdAndPlug(
            XenApi api, String vm, String vdi, String device, String mode, VbdType type, Map<String, String> oc) {
        Map<String, Object> r = new HashMap<>();
        r.put(VBD.VM.name(), vm);
        r.put(VBD.VDI.name(), vdi);
        r.put(VBD.USERDEVICE.name(), device);
        r.put(VBD.BOOTABLE.name(), false);
        r.put(VBD.MODE.name(), mode);
        r.put(VBD.TYPE.name(), type.wire());
        r.put(VBD.UNPLUGGABLE.name(), true);
        r.put(VBD.EMPTY.name(), false);
        r.put(VBD.QOS_ALGORITHM_TYPE.name(), "");
        r.put(VBD.QOS_ALGORITHM_PARAMS.name(), Map.of());
        r.put(VBD.OTHER_CONFIG.name(), oc);
        String vbd = api.vbd().create(r);
        try {
            api.vbd().plug(vbd);
        } catch (ApiError e) {
            // as Xapi: created but not hotplugged (a halted VM)
        }
    }

    /** Xapi's {@code diagnostic_vm_status}. */
    private static void diagnosticVmStatus(CommandContext c) {
        XenApi api = c.api();
        ApiResolver r = new ApiResolver(api, c.host());
        String vm = api.vm().getByUuid(c.params().get("uuid"));
        ObjectRecord vmRec = r.of(RecordTables.get().record("vm"), vm);
        c.out().table(List.of(row(vmRec, Set.of("uuid", "name-label", "power-state", "possible-hosts"))));
        c.out().list(List.of("Checking to see whether disks are attachable"));
        RecordSpec vbdSpec = RecordTables.get().record("vbd");
        Set<String> vbdFields = Set.of(
                "uuid", "userdevice", "device", "vdi-uuid", "empty", "mode", "type", "storage-lock", "attachable");
        for (String vbd : api.vm().getVBDs(vm)) c.out().table(List.of(row(r.of(vbdSpec, vbd), vbdFields)));
        c.out().list(List.of("Checking to see whether VM can boot on each host"));
        printHostReport(c, vm);
        String agile;
        try {
            api.vm().assertAgile(vm);
            agile = "VM is agile.";
        } catch (ApiError e) {
            agile = "VM is not agile because: " + assertMessage(c, e);
        }
        c.out().list(List.of(agile));
    }

    /** Xapi's {@code print_vm_host_report}: each host's name and whether the VM can boot there, or why not. */
    static void printHostReport(CommandContext c, String vm) {
        XenApi api = c.api();
        List<Map.Entry<String, String>> report = new ArrayList<>();
        for (String host : api.host().getAll()) {
            String verdict;
            try {
                api.vm().assertCanBootHere(vm, host);
                verdict = "OK";
            } catch (ApiError e) {
                verdict = "Cannot start here [" + assertMessage(c, e) + "]";
            }
            report.add(Map.entry(api.host().getNameLabel(host), verdict));
        }
        c.out().table(List.of(new Printer.Row(report)));
    }

    /**
     * Xapi's {@code diagnostic_vdi_status}: the VDI's locking fields, then its VBDs, those currently attached first
     * ({@code no active VBDs.} when none), each with its own.
     */
    private static void diagnosticVdiStatus(CommandContext c) {
        XenApi api = c.api();
        ApiResolver r = new ApiResolver(api, c.host());
        String vdi = api.vdi().getByUuid(c.params().get("uuid"));
        ObjectRecord vdiRec = r.of(RecordTables.get().record("vdi"), vdi);
        c.out()
                .table(List.of(row(
                        vdiRec,
                        Set.of("uuid", "name-label", "sr-uuid", "mode", "read-only", "sharable", "storage-lock"))));
        RecordSpec vbdSpec = RecordTables.get().record("vbd");
        List<ObjectRecord> active = new ArrayList<>();
        List<ObjectRecord> inactive = new ArrayList<>();
        for (String vbd : api.vdi().getVBDs(vdi)) {
            ObjectRecord o = r.of(vbdSpec, vbd);
            ("true".equals(o.get(o.field("currently-attached"))) ? active : inactive).add(o);
        }
        Set<String> vbdFields = Set.of("uuid", "userdevice", "device", "empty", "mode", "type", "storage-lock");
        if (active.isEmpty()) {
            c.out().list(List.of("no active VBDs."));
        } else {
            c.out().list(List.of("active VBDs:"));
            for (ObjectRecord o : active) c.out().table(List.of(row(o, vbdFields)));
        }
        if (!inactive.isEmpty()) {
            c.out().list(List.of("inactive VBDs:"));
            for (ObjectRecord o : inactive) c.out().table(List.of(row(o, vbdFields)));
        }
    }

    /** The fields of {@code o} named in {@code names}, in record order, labelled, evaluated. */
    private static Printer.Row row(ObjectRecord o, Set<String> names) {
        List<FieldSpec> fields =
                o.spec().fields().stream().filter(f -> names.contains(f.name())).toList();
        return new Printer.Row(ObjectRecord.labelled(o, fields, false));
    }

    /** Xapi's {@code print_assert_exception}: why a VM cannot boot on a host, or is not agile. */
    static String assertMessage(CommandContext c, ApiError e) {
        List<String> p = e.params();
        String arg2 =
                p.size() >= 2 ? ErrorPrinter.refConvert(c.host(), p.get(1)) : "<server did not provide reference>";
        return switch (e.code()) {
            case "VM_REQUIRES_SR" -> "VM requires access to SR: " + arg2;
            case "HOST_DISABLED" -> "Host disabled (use 'xe host-enable' to re-enable)";
            case "HOST_DISABLED_INDEFINITELY" -> "Host disabled indefinitely (use 'xe host-enable' to re-enable)";
            case "HOST_NOT_LIVE" -> "Host down";
            case "HOST_NOT_ENOUGH_FREE_MEMORY" -> "Not enough free memory";
            case "HOST_NOT_ENOUGH_PCPUS" ->
                p.size() == 2
                        ? "Not enough CPUs (VM needs " + p.get(0) + ", but host has " + p.get(1) + ")"
                        : ErrorPrinter.toServerError(e);
            case "VM_REQUIRES_NETWORK" -> "VM requires access to network: " + arg2;
            case "HOST_CANNOT_ATTACH_NETWORK" -> "Host cannot attach to network: " + arg2;
            case "VM_HVM_REQUIRED" -> "HVM not supported";
            case "INVALID_VALUE" ->
                p.size() == 2
                        ? "Field has invalid value: " + p.get(0) + " = " + p.get(1)
                        : ErrorPrinter.toServerError(e);
            case "HA_CONSTRAINT_VIOLATION_SR_NOT_SHARED" ->
                p.size() == 1
                        ? "VM requires access to non-shared SR: " + ErrorPrinter.refConvert(c.host(), p.get(0))
                                + ". SR must both be marked as shared and a properly configured PBD must be"
                                + " plugged-in on every host"
                        : ErrorPrinter.toServerError(e);
            case "HA_CONSTRAINT_VIOLATION_NETWORK_NOT_SHARED" ->
                p.size() == 1
                        ? "VM requires access to non-shared Network: " + ErrorPrinter.refConvert(c.host(), p.get(0))
                                + ". Network must either be entirely virtual or there must be a PIF connecting to"
                                + " this Network on every host."
                        : ErrorPrinter.toServerError(e);
            default -> ErrorPrinter.toServerError(e);
        };
    }

    /** Xapi's {@code console}: the selected VM's text console through the client ({@code HttpConnect}). */
    private static void console(CommandContext c) throws IOException {
        XenApi api = c.api();
        List<ObjectRecord> vms = Selectors.selectVms(c, CONTROL_DOMAINS, Set.of());
        if (vms.isEmpty()) {
            c.conn().printStderr("No VM found\n");
            throw new CliErrors.ExitWithError(1);
        }
        if (vms.size() > 1) {
            c.conn().printStderr("Multiple VMs found: please narrow your request to one VM.\n");
            throw new CliErrors.ExitWithError(1);
        }
        String console = null;
        for (String con : api.vm().getConsoles(vms.get(0).ref())) {
            if (api.console().getProtocol(con) == ConsoleProtocol.VT100) {
                console = con;
                break;
            }
        }
        if (console == null) {
            c.conn().printStderr("No text console available\n");
            throw new CliErrors.ExitWithError(1);
        }
        String name = api.vm().getNameLabel(api.console().getVM(console));
        c.conn().print("Connecting to console on VM " + name + ". Press Ctrl + ']' to quit.");
        String uri = api.console().getLocation(console) + "&session_id=" + c.session();
        if (c.conn().awaitTransfer(new CliMessage.HttpConnect(uri)) != CliMessage.Response.OK) {
            throw new CliFailure("Failure");
        }
    }
}
