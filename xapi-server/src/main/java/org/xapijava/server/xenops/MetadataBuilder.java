package org.xapijava.server.xenops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.xapijava.db.FieldReads;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.SM;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.DeviceNumber;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.Metadata;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.Vm;

/**
 * A VM record and its devices as xenopsd metadata: Xapi's {@code create_metadata} and the {@code MD} module of
 * {@code ocaml/xapi/xapi_xenops.ml} ({@code of_vm}, {@code of_vbd}, {@code of_vif}, {@code builder_of_vm}), with
 * {@code Vm_platform.sanity_check}. A pure function of a database view, except for a VM whose
 * {@code generation_id} is {@code "0:0"}: Xapi gives it a fresh one and stores it, which the caller does through
 * {@link #freshGenerationId}. Stateless; thread-safe.
 *
 * <p>Not built (no such objects here yet): PCI passthrough, vGPUs, vUSBs, VTPMs, PVS proxies, SR-IOV networks.
 */
public final class MetadataBuilder {
    private MetadataBuilder() {}

    /** Xapi's {@code allowed_dom0_directories_for_boot_files}: PV kernels must live here. */
    static final List<String> BOOT_FILE_DIRS = List.of("/var/lib/xcp/guest/");
    /** {@code Xapi_globs.default_vbd3_polling_duration} and {@code ..._idle_threshold}. */
    static final int DEFAULT_POLLING_DURATION = 8000;

    static final int DEFAULT_POLLING_IDLE_THRESHOLD = 50;
    /** {@code Vm_platform.filtered_flags}: the platform keys xenopsd is told about when filtering is on. */
    static final List<String> FILTERED_FLAGS = List.of(
            "acpi",
            "apic",
            "nx",
            "pae",
            "viridian",
            "acpi_s3",
            "acpi_s4",
            "mmio_size_mib",
            "revision",
            "device_id",
            "tsc_mode",
            "device-model",
            "xenguest",
            "pv-kernel-max-size",
            "pv-ramdisk-max-size",
            "pv-postinstall-kernel-max-size",
            "pv-postinstall-ramdisk-max-size",
            "usb",
            "usb_tablet",
            "parallel",
            "vga",
            "featureset",
            "nested-virt",
            "vcpu-unrestricted");

    /**
     * {@code create_metadata}: the VM and its {@code currently_attached} VBDs and VIFs. For a suspended VM the
     * {@code domains} part is its {@code last_booted_record}.
     *
     * @param genId supplies a fresh generation id when the VM's is {@code "0:0"} (see {@link #freshGenerationId})
     */
    public static Metadata of(FieldReads r, String vmRef, String hostRef, Supplier<String> genId) {
        List<String> vbdRefs = new ArrayList<>();
        for (String vbd : r.get(vmRef, VM.VBDS)) {
            if (r.isValid(VBD.XAPI_CLASS, vbd) && r.get(vbd, VBD.CURRENTLY_ATTACHED)) vbdRefs.add(vbd);
        }
        List<Vbd> vbds = new ArrayList<>();
        for (String vbd : vbdRefs) vbds.add(vbd(r, vmRef, vbd));
        List<Vif> vifs = new ArrayList<>();
        for (String vif : r.get(vmRef, VM.VIFS)) {
            if (r.isValid(VIF.XAPI_CLASS, vif) && r.get(vif, VIF.CURRENTLY_ATTACHED))
                vifs.add(vif(r, vmRef, vif, hostRef));
        }
        String domains = "Suspended".equals(r.get(vmRef, VM.POWER_STATE)) ? r.get(vmRef, VM.LAST_BOOTED_RECORD) : null;
        return new Metadata(
                vm(r, vmRef, vbdRefs, hostRef, genId), vbds, vifs, List.of(), List.of(), List.of(), domains);
    }

    /** Xapi's {@code fresh_genid}: two random non-negative 63-bit numbers, or "" for a VM that has none. */
    public static String freshGenerationId(String current) {
        if (current.isEmpty()) return "";
        java.util.concurrent.ThreadLocalRandom rnd = java.util.concurrent.ThreadLocalRandom.current();
        return rnd.nextLong(Long.MAX_VALUE) + ":" + rnd.nextLong(Long.MAX_VALUE);
    }

    // ------------------------------------------------------------------------------------------- VBD

    /** {@code MD.of_vbd}. */
    public static Vbd vbd(FieldReads r, String vmRef, String vbd) {
        boolean hvm = "hvm".equals(r.get(vmRef, VM.DOMAIN_TYPE));
        String userdevice = r.get(vbd, VBD.USERDEVICE);
        DeviceNumber position =
                DeviceNumber.ofString(hvm, userdevice).orElseThrow(() -> new ApiError("INVALID_DEVICE", userdevice));
        Map<String, String> oc = r.get(vbd, VBD.OTHER_CONFIG);
        Map<String, String> backendKeys = new LinkedHashMap<>();
        if (oc.containsKey("backend-kind")) backendKeys.put("backend-kind", oc.get("backend-kind"));
        inRange(
                backendKeys,
                "polling-duration",
                oc.getOrDefault("polling-duration", Integer.toString(DEFAULT_POLLING_DURATION)),
                0,
                Integer.MAX_VALUE,
                0);
        inRange(
                backendKeys,
                "polling-idle-threshold",
                oc.getOrDefault("polling-idle-threshold", Integer.toString(DEFAULT_POLLING_IDLE_THRESHOLD)),
                0,
                100,
                50);
        String vdi = r.get(vbd, VBD.VDI);
        boolean vdiValid = r.isValid(VDI.XAPI_CLASS, vdi);
        Vbd.Type ty = switch (r.get(vbd, VBD.TYPE)) {
            case "CD" -> Vbd.Type.CDROM;
            case "Floppy" -> Vbd.Type.Floppy;
            default -> Vbd.Type.Disk;
        };
        return new Vbd(
                new DeviceId(r.get(vmRef, VM.UUID), position.toLinuxDevice()),
                position,
                "RO".equals(r.get(vbd, VBD.MODE)) ? Vbd.Mode.ReadOnly : Vbd.Mode.ReadWrite,
                diskOfVdi(r, vdi),
                ty,
                r.get(vbd, VBD.UNPLUGGABLE),
                backendKeys,
                Map.of(),
                qos(r.get(vbd, VBD.QOS_ALGORITHM_TYPE), r.get(vbd, VBD.QOS_ALGORITHM_PARAMS)),
                !vdiValid || "persist".equals(r.get(vdi, VDI.ON_BOOT)),
                vdiValid && canAttachEarly(r, r.get(vdi, VDI.SR)));
    }

    /** An integer key clamped to [min, max]; a value that is not an integer becomes {@code fallback}. */
    private static void inRange(Map<String, String> out, String key, String value, int min, int max, int fallback) {
        int v;
        try {
            v = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            v = fallback;
        }
        out.put(key, Integer.toString(Math.max(min, Math.min(max, v))));
    }

    /** {@code qos}: only {@code ionice} is known; its scheduler and class from the VBD's QoS parameters. */
    static Vbd.Qos qos(String type, Map<String, String> params) {
        if (!"ionice".equals(type)) return null;
        Vbd.Qos.QosClass cls = Vbd.Qos.QosClass.Normal;
        int other = 0;
        String c = params.get("class");
        if (c != null) {
            switch (c) {
                case "highest" -> cls = Vbd.Qos.QosClass.Highest;
                case "high" -> cls = Vbd.Qos.QosClass.High;
                case "normal" -> cls = Vbd.Qos.QosClass.Normal;
                case "low" -> cls = Vbd.Qos.QosClass.Low;
                case "lowest" -> cls = Vbd.Qos.QosClass.Lowest;
                default -> {
                    try {
                        other = Integer.parseInt(c);
                        cls = Vbd.Qos.QosClass.Other;
                    } catch (NumberFormatException e) {
                        cls = Vbd.Qos.QosClass.Normal;
                    }
                }
            }
        }
        String sched = params.get("sched");
        if ("idle".equals(sched)) return new Vbd.Qos(Vbd.Qos.Scheduler.Idle, null, 0);
        if ("rt".equals(sched) || "real-time".equals(sched)) return new Vbd.Qos(Vbd.Qos.Scheduler.RealTime, cls, other);
        return new Vbd.Qos(Vbd.Qos.Scheduler.BestEffort, cls, other);
    }

    /** {@code disk_of_vdi}: {@code VDI "<sr-uuid>/<location>"}, or null when the VDI (or its SR) is not there. */
    public static Disk diskOfVdi(FieldReads r, String vdi) {
        if (!r.isValid(VDI.XAPI_CLASS, vdi)) return null;
        String sr = r.get(vdi, VDI.SR);
        if (!r.isValid(SR.XAPI_CLASS, sr)) return null;
        return Disk.Vdi.of(r.get(sr, SR.UUID), r.get(vdi, VDI.LOCATION));
    }

    /** Whether the SR's driver speaks SMAPIv3 ({@code required_api_version} of its SM record at least 3.0). */
    private static boolean canAttachEarly(FieldReads r, String sr) {
        if (!r.isValid(SR.XAPI_CLASS, sr)) return false;
        String type = r.get(sr, SR.TYPE);
        for (String sm : r.where(SM.TYPE, type)) {
            String v = r.get(sm, SM.REQUIRED_API_VERSION);
            return versionAtLeast3(v);
        }
        return false;
    }

    private static boolean versionAtLeast3(String v) {
        try {
            return Integer.parseInt(v.split("\\.")[0].trim()) >= 3;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------------------------------- VIF

    /** {@code MD.of_vif}. */
    public static Vif vif(FieldReads r, String vmRef, String vif, String hostRef) {
        String net = r.get(vif, VIF.NETWORK);
        Map<String, String> oc = r.get(vif, VIF.OTHER_CONFIG);
        int netMtu = r.isValid(Network.XAPI_CLASS, net) ? (int) (long) r.get(net, Network.MTU) : 1500;
        int mtu = netMtu;
        if (oc.containsKey("mtu")) {
            try {
                mtu = Integer.parseInt(oc.get("mtu"));
            } catch (NumberFormatException e) {
                mtu = netMtu; // Xapi: "Failed to parse VIF.other_config:mtu; defaulting to network.mtu"
            }
        }
        Vif.Rate rate = null;
        if ("ratelimit".equals(r.get(vif, VIF.QOS_ALGORITHM_TYPE))) {
            Map<String, String> p = r.get(vif, VIF.QOS_ALGORITHM_PARAMS);
            long timeslice = 0;
            try {
                timeslice = Long.parseLong(p.getOrDefault("timeslice_us", ""));
            } catch (NumberFormatException e) {
                timeslice = 0;
            }
            try {
                if (p.containsKey("kbps")) rate = new Vif.Rate(Long.parseLong(p.get("kbps")), timeslice);
            } catch (NumberFormatException e) {
                rate = null; // "parameter kbps not an integer"
            }
        }
        String defaultLocking =
                r.isValid(Network.XAPI_CLASS, net) ? r.get(net, Network.DEFAULT_LOCKING_MODE) : "unlocked";
        Vif.LockingMode locking = switch (r.get(vif, VIF.LOCKING_MODE)) {
            case "network_default" ->
                "disabled".equals(defaultLocking) ? Vif.LockingMode.DISABLED : Vif.LockingMode.UNLOCKED;
            case "locked" ->
                new Vif.LockingMode(
                        Vif.LockingMode.Kind.Locked, r.get(vif, VIF.IPV4_ALLOWED), r.get(vif, VIF.IPV6_ALLOWED));
            case "disabled" -> Vif.LockingMode.DISABLED;
            default -> Vif.LockingMode.UNLOCKED;
        };
        Vif.IpConfig v4 = "Static".equals(r.get(vif, VIF.IPV4_CONFIGURATION_MODE))
                ? new Vif.IpConfig("Static4", r.get(vif, VIF.IPV4_ADDRESSES), emptyToNull(r.get(vif, VIF.IPV4_GATEWAY)))
                : Vif.IpConfig.UNSPECIFIED4;
        Vif.IpConfig v6 = "Static".equals(r.get(vif, VIF.IPV6_CONFIGURATION_MODE))
                ? new Vif.IpConfig("Static6", r.get(vif, VIF.IPV6_ADDRESSES), emptyToNull(r.get(vif, VIF.IPV6_GATEWAY)))
                : Vif.IpConfig.UNSPECIFIED6;
        Map<String, String> priv = new LinkedHashMap<>();
        priv.put("vif-uuid", r.get(vif, VIF.UUID));
        priv.put("network-uuid", r.isValid(Network.XAPI_CLASS, net) ? r.get(net, Network.UUID) : "");
        Long vlan = null;
        List<String> pifs = localPifs(r, net, hostRef);
        if (!pifs.isEmpty()) {
            long v = r.get(pifs.get(0), PIF.VLAN);
            if (v >= 0) vlan = v;
        }
        String device = r.get(vif, VIF.DEVICE);
        // Xapi's int_of_string (so "0x1" or "1_0" are positions, as VIF.create accepted them)
        java.util.OptionalLong p = RpcValues.tryParseOcamlInt(device);
        if (p.isEmpty() || p.getAsLong() != (int) p.getAsLong()) {
            throw ApiError.internal("Failure(\"int_of_string\")");
        }
        int position = (int) p.getAsLong();
        List<Long> trunks = List.of();
        return new Vif(
                new DeviceId(r.get(vmRef, VM.UUID), device),
                position,
                r.get(vif, VIF.MAC),
                true,
                mtu,
                rate,
                backendOfNetwork(r, net),
                oc,
                locking,
                priv,
                v4,
                v6,
                null,
                vlan,
                trunks);
    }

    private static String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }

    /** The network's PIFs on this host ({@code get_local_pifs}). */
    private static List<String> localPifs(FieldReads r, String net, String host) {
        List<String> out = new ArrayList<>();
        if (!r.isValid(Network.XAPI_CLASS, net)) return out;
        for (String pif : r.get(net, Network.PIFS)) {
            if (r.isValid(PIF.XAPI_CLASS, pif) && host.equals(r.get(pif, PIF.HOST))) out.add(pif);
        }
        return out;
    }

    /** {@code backend_of_network}: a driver domain named in {@code other_config:backend_vm}, else the local bridge. */
    private static Vif.Network backendOfNetwork(FieldReads r, String net) {
        if (!r.isValid(Network.XAPI_CLASS, net)) return new Vif.Local("");
        String bridge = r.get(net, Network.BRIDGE);
        String backendVm = r.get(net, Network.OTHER_CONFIG).get("backend_vm");
        return backendVm != null ? new Vif.Remote(backendVm, bridge) : new Vif.Local(bridge);
    }

    // ------------------------------------------------------------------------------------------- VM

    private static List<Vm.Action> actions(String behaviour) {
        return switch (behaviour) {
            case "preserve" -> List.of(Vm.Action.Pause);
            case "coredump_and_restart" -> List.of(Vm.Action.Coredump, Vm.Action.Start);
            case "coredump_and_destroy" -> List.of(Vm.Action.Coredump, Vm.Action.Shutdown);
            case "restart", "rename_restart" -> List.of(Vm.Action.Start);
            case "soft_reboot" -> List.of(Vm.Action.Softreboot);
            default -> List.of(Vm.Action.Shutdown); // destroy
        };
    }

    /** {@code MD.of_vm}; {@code vbds} are the attached VBDs (for the timeoffset of disks reset on boot). */
    static Vm vm(FieldReads r, String vm, List<String> vbds, String hostRef, Supplier<String> genId) {
        String domainType = checkDomainType(r.get(vm, VM.DOMAIN_TYPE));
        Vm.Firmware firmware = firmwareOf(r, vm);
        Map<String, String> platform =
                sanityCheck(r.get(vm, VM.PLATFORM), firmware, r.get(vm, VM.VCPUS_MAX), domainType);
        String timeoffset = rtcTimeoffset(r, vm, vbds);
        Map<String, String> pd = new LinkedHashMap<>();
        pd.put("timeoffset", timeoffset);
        for (Map.Entry<String, String> e : platform.entrySet())
            if (!e.getKey().equals("timeoffset")) pd.put(e.getKey(), e.getValue());
        if (!pd.containsKey("featureset")) {
            String fs;
            if (!"Suspended".equals(r.get(vm, VM.POWER_STATE))) {
                Map<String, String> ci = r.get(r.all(Pool.XAPI_CLASS).get(0), Pool.CPU_INFO);
                fs = ci.getOrDefault(domainType.equals("pv") ? "features_pv_host" : "features_hvm_host", "");
            } else {
                fs = r.get(vm, VM.LAST_BOOT_CPU_FLAGS).get(BootChecks.CPU_FEATURES);
                if (fs == null) throw ApiError.internal("Failure(\"VM's CPU featureset not initialised\")");
            }
            Map<String, String> withFs = new LinkedHashMap<>();
            withFs.put("featureset", fs);
            withFs.putAll(pd);
            pd = withFs;
        }
        Map<String, String> plat = r.get(vm, VM.PLATFORM);
        if (!r.get(vm, VM.VTPMS).isEmpty() || isTrue(plat, "vtpm", false)) {
            Map<String, String> withTpm = new LinkedHashMap<>();
            withTpm.put("tpm_version", "2");
            withTpm.putAll(pd);
            pd = withTpm;
        }
        Map<String, String> oc = r.get(vm, VM.OTHER_CONFIG);
        boolean msitranslate = oc.containsKey("msitranslate") ? "1".equals(oc.get("msitranslate")) : true;
        if (!r.get(vm, VM.VGPUS).isEmpty()) msitranslate = false;
        String gen = r.get(vm, VM.GENERATION_ID);
        if (gen.equals("0:0")) gen = genId.get();
        return Vm.builder(r.get(vm, VM.UUID))
                .name(r.get(vm, VM.NAME_LABEL))
                .ssidref(0)
                .xsdata(r.get(vm, VM.XENSTORE_DATA))
                .platformdata(pd)
                .biosStrings(r.get(vm, VM.BIOS_STRINGS))
                .ty(builderOf(r, vm, domainType, timeoffset, firmware))
                .suppressSpuriousPageFaults(false)
                .machineAddressSize(null)
                .memoryStaticMax(r.get(vm, VM.MEMORY_STATIC_MAX))
                .memoryDynamicMax(r.get(vm, VM.MEMORY_DYNAMIC_MAX))
                .memoryDynamicMin(r.get(vm, VM.MEMORY_DYNAMIC_MIN))
                .vcpuMax((int) (long) r.get(vm, VM.VCPUS_MAX))
                .vcpus((int) (long) r.get(vm, VM.VCPUS_AT_STARTUP))
                .schedulerParams(schedulerParams(r.get(vm, VM.VCPUS_PARAMS), r.get(hostRef, Host.GUEST_VCPUS_PARAMS)))
                .onCrash(actions(r.get(vm, VM.ACTIONS_AFTER_CRASH)))
                .onShutdown(actions(r.get(vm, VM.ACTIONS_AFTER_SHUTDOWN)))
                .onReboot(actions(r.get(vm, VM.ACTIONS_AFTER_REBOOT)))
                .onSoftreboot(actions(r.get(vm, VM.ACTIONS_AFTER_SOFTREBOOT)))
                .pciMsitranslate(msitranslate)
                .pciPowerMgmt(false)
                .hasVendorDevice(r.get(vm, VM.HAS_VENDOR_DEVICE))
                .generationId(gen)
                .build();
    }

    /** {@code Helpers.check_domain_type}: every domain type but {@code unspecified}. */
    static String checkDomainType(String t) {
        if (t.equals("unspecified")) throw ApiError.internal("unspecified domain type");
        return t;
    }

    /** The VCPU masks ({@code VCPUs_params:mask}, filtered by the host's) and the credit scheduler's weight and cap. */
    static Vm.SchedulerParams schedulerParams(Map<String, String> vcpuParams, Map<String, String> hostParams) {
        List<List<Integer>> affinity = new ArrayList<>();
        try {
            String mask = vcpuParams.get("mask");
            if (mask != null) {
                for (String x : mask.split(";", -1)) affinity.add(ints(x));
            }
        } catch (NumberFormatException e) {
            affinity = new ArrayList<>();
        }
        List<Integer> hostMask;
        try {
            hostMask = hostParams.containsKey("mask") ? ints(hostParams.get("mask")) : List.of();
        } catch (NumberFormatException e) {
            hostMask = List.of();
        }
        List<List<Integer>> merged;
        if (affinity.isEmpty()) {
            merged = hostMask.isEmpty() ? List.of() : List.of(hostMask);
        } else if (hostMask.isEmpty()) {
            merged = affinity;
        } else {
            merged = new ArrayList<>();
            for (List<Integer> a : affinity) {
                List<Integer> keep = new ArrayList<>();
                for (Integer i : a) if (hostMask.contains(i)) keep.add(i);
                merged.add(keep);
            }
        }
        int weight = intOr(vcpuParams.get("weight"), 256);
        int cap = intOr(vcpuParams.get("cap"), 0);
        return new Vm.SchedulerParams(new Vm.SchedulerParams.Priority(weight, cap), merged);
    }

    private static List<Integer> ints(String csv) {
        List<Integer> out = new ArrayList<>();
        for (String s : csv.split(",", -1)) out.add(Integer.parseInt(s.trim()));
        return out;
    }

    private static int intOr(String s, int dflt) {
        if (s == null) return dflt;
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    /** {@code Vm_platform.is_true}. */
    static boolean isTrue(Map<String, String> platform, String key, boolean dflt) {
        String v = platform.get(key);
        if (v == null) return dflt;
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> dflt;
        };
    }

    /** {@code firmware_of_vm}: {@code HVM_boot_params:firmware} with the NVRAM's UEFI settings. */
    public static Vm.Firmware firmwareOf(FieldReads r, String vm) {
        String f = r.get(vm, VM.HVM_BOOT_PARAMS).get("firmware");
        if (f == null || f.equals("bios")) return Vm.Firmware.BIOS;
        if (!f.equals("uefi")) throw ApiError.invalidValue("HVM-boot-params['firmware']", f);
        Map<String, String> nvram = r.get(vm, VM.NVRAM);
        String onBoot = "Persist";
        String ob = nvram.get("EFI-variables-on-boot");
        if (ob != null) {
            onBoot = switch (ob) {
                case "persist" -> "Persist";
                case "reset" -> "Reset";
                default -> throw ApiError.invalidValue("NVRAM['EFI-variables-on-boot']", ob);
            };
        }
        return Vm.Firmware.uefi(onBoot, nvram.getOrDefault("EFI-variables-backend", "xapidb"));
    }

    /**
     * {@code Vm_platform.sanity_check} (without filtering unknown keys: a pool where every feature is
     * licensed, as on XCP-ng): device model against firmware, cores-per-socket, usb flags, parallel ports, TSC
     * modes.
     */
    static Map<String, String> sanityCheck(
            Map<String, String> platform, Vm.Firmware firmware, long vcpuMax, String domainType) {
        Map<String, String> pd = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : platform.entrySet()) {
            if (e.getKey().equals("tsc_mode") && !List.of("0", "1", "2", "3").contains(e.getValue())) continue;
            pd.put(e.getKey(), e.getValue());
        }
        String dm = pd.get("device-model");
        if ("qemu-trad".equals(dm) && firmware.uefi()) {
            throw ApiError.invalidValue("platform:device-model", "UEFI boot is not supported with qemu-trad");
        }
        if ("qemu-upstream-uefi".equals(dm) && !firmware.uefi()) {
            throw ApiError.invalidValue("platform:device-model", "BIOS boot is not supported with qemu-upstream-uefi");
        }
        if (!domainType.equals("pv") && pd.containsKey("cores-per-socket")) {
            String cps = pd.get("cores-per-socket");
            int c;
            try {
                c = Integer.parseInt(cps);
            } catch (NumberFormatException e) {
                throw ApiError.invalidValue("platform:cores-per-socket", cps);
            }
            if (c < 1 || vcpuMax % c != 0)
                throw new ApiError("VCPU_MAX_NOT_CORES_PER_SOCKET_MULTIPLE", Long.toString(vcpuMax), cps);
        }
        boolean usb = isTrue(pd, "usb", true);
        boolean tablet = usb && isTrue(pd, "usb_tablet", true);
        // Listext.update_assoc: the updated pairs first, then the others
        Map<String, String> out = new LinkedHashMap<>();
        out.put("usb", Boolean.toString(usb));
        out.put("usb_tablet", Boolean.toString(tablet));
        for (Map.Entry<String, String> e : pd.entrySet()) out.putIfAbsent(e.getKey(), e.getValue());
        String par = out.get("parallel");
        if (par != null && !par.equals("none") && !par.startsWith("/dev/parport")) out.remove("parallel");
        return out;
    }

    /**
     * {@code rtc_timeoffset_of_vm}: {@code platform:timeoffset} (default "0"), unless one VDI reset on boot
     * carries its own {@code other_config:timeoffset}; two such VDIs are an error.
     */
    static String rtcTimeoffset(FieldReads r, String vm, List<String> vbds) {
        String t = r.get(vm, VM.PLATFORM).getOrDefault("timeoffset", "0");
        List<String[]> reset = new ArrayList<>();
        for (String vbd : vbds) {
            if (r.get(vbd, VBD.EMPTY)) continue;
            String vdi = r.get(vbd, VBD.VDI);
            if (!r.isValid(VDI.XAPI_CLASS, vdi) || !"reset".equals(r.get(vdi, VDI.ON_BOOT))) continue;
            String off = r.get(vdi, VDI.OTHER_CONFIG).get("timeoffset");
            if (off != null) reset.add(new String[] {vdi, off});
        }
        if (reset.isEmpty()) return t;
        if (reset.size() == 1) return reset.get(0)[1];
        List<String> params = new ArrayList<>();
        params.add(vm);
        for (String[] x : reset) params.add(x[0]);
        throw new ApiError("VM_ATTACHED_TO_MORE_THAN_ONE_VDI_WITH_TIMEOFFSET_MARKED_AS_RESET_ON_BOOT", params);
    }

    /** {@code builder_of_vm}: HVM (hvmloader) or PV-style boot (direct kernel or bootloader). */
    static Vm.BuilderInfo builderOf(
            FieldReads r, String vm, String domainType, String timeoffset, Vm.Firmware firmware) {
        Map<String, String> platform = r.get(vm, VM.PLATFORM);
        Map<String, String> oc = r.get(vm, VM.OTHER_CONFIG);
        if (domainType.equals("hvm")) {
            boolean vgpu = false; // vGPUs are not modelled
            String video;
            if (vgpu) video = "Vgpu";
            else if (isTrue(platform, "igd_passthrough", false)) video = "IGD_passthrough";
            else video = "std".equals(platform.getOrDefault("vga", "cirrus")) ? "Standard_VGA" : "Cirrus";
            List<String> emulations = new ArrayList<>();
            String mtc = oc.get("mtc_pci_emulations");
            if (mtc != null) for (String s : mtc.split(",", -1)) emulations.add(s.trim());
            String serial = platform.containsKey("hvm_serial")
                    ? platform.get("hvm_serial")
                    : oc.getOrDefault("hvm_serial", "pty");
            String order = r.get(vm, VM.HVM_BOOT_PARAMS).get("order");
            if (order == null || order.isEmpty()) order = "cd";
            int videoMib = intOr(platform.get("videoram"), 4);
            if (video.equals("Vgpu")) videoMib = Math.max(videoMib, 16);
            return new Vm.Hvm(new Vm.HvmInfo(
                    true,
                    r.get(vm, VM.HVM_SHADOW_MULTIPLIER),
                    timeoffset,
                    videoMib,
                    video,
                    isTrue(platform, "acpi", true),
                    serial,
                    platform.get("keymap"),
                    null,
                    emulations,
                    false,
                    order,
                    isTrue(platform, "qemu_disk_cmdline", false),
                    false,
                    firmware,
                    null));
        }
        Vm.PvBoot boot;
        if (r.get(vm, VM.PV_BOOTLOADER).isEmpty()) {
            String kernel = bootFile(r, vm, "kernel", r.get(vm, VM.PV_KERNEL));
            String rd = r.get(vm, VM.PV_RAMDISK);
            boot = new Vm.Direct(kernel, r.get(vm, VM.PV_ARGS), rd.isEmpty() ? null : bootFile(r, vm, "ramdisk", rd));
        } else {
            List<Disk> devices = new ArrayList<>();
            for (String vbd : r.get(vm, VM.VBDS)) {
                if (!r.isValid(VBD.XAPI_CLASS, vbd) || !r.get(vbd, VBD.BOOTABLE) || r.get(vbd, VBD.EMPTY)) {
                    continue;
                }
                Disk d = diskOfVdi(r, r.get(vbd, VBD.VDI));
                if (d != null) devices.add(d);
            }
            boot = new Vm.Indirect(
                    r.get(vm, VM.PV_BOOTLOADER),
                    r.get(vm, VM.PV_ARGS),
                    r.get(vm, VM.PV_LEGACY_ARGS),
                    r.get(vm, VM.PV_BOOTLOADER_ARGS),
                    devices);
        }
        Vm.PvInfo info = new Vm.PvInfo(
                boot,
                isTrue(platform, "pvfb", false),
                null,
                !oc.containsKey("disable_pv_vnc"),
                null,
                oc.containsKey("pci"));
        return switch (domainType) {
            case "pv" -> new Vm.Pv(info);
            case "pv_in_pvh" -> new Vm.PvInPvh(info);
            default -> new Vm.Pvh(info);
        };
    }

    /**
     * {@code kernel_path}: a direct-boot kernel or ramdisk must be a regular file inside an allowed dom0
     * directory, else {@code INVALID_VALUE [name, file, reason]}.
     */
    private static String bootFile(FieldReads r, String vm, String name, String file) {
        Optional<String> reason;
        Path real = null;
        try {
            real = Path.of(file).toRealPath();
            if (!Files.isRegularFile(real)) reason = Optional.of("Is not a regular file");
            else {
                String p = real.toString();
                boolean allowed = BOOT_FILE_DIRS.stream().anyMatch(p::startsWith);
                reason = allowed
                        ? Optional.empty()
                        : Optional.of("Is not in any of the allowed kernel directories: ["
                                + String.join("; ", BOOT_FILE_DIRS) + "]");
            }
        } catch (java.nio.file.NoSuchFileException e) {
            reason = Optional.of("File does not exist");
        } catch (IOException | java.nio.file.InvalidPathException e) {
            reason = Optional.of(String.valueOf(e.getMessage()));
        }
        if (reason.isPresent()) throw ApiError.invalidValue(name, file, reason.get());
        return real.toString();
    }
}
