package org.xapijava.server.transfer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.db.Db;
import org.xapijava.model.Datamodel;
import org.xapijava.model.Field;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMGuestMetrics;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.Marshal;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.model.xmlrpc.XmlRpcParseException;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;

/**
 * An XVA's {@code ova.xml} (reference xapi-core.md §10.2, Xapi's {@code export.ml} and {@code importexport.ml}): one
 * XML-RPC value {@code {version, objects}}, each object {@code {class, id, snapshot}} with its record's references
 * rewritten to the ids of the exported objects. Objects are chosen as Xapi's {@code update_table} walks them: the VM,
 * its VIFs and their networks, its VBDs and the VDIs of non-empty ones with their SRs, the suspend VDI when the power
 * state is kept, then its metrics, guest metrics, resident host and affinity host. As in Xapi a null reference met on
 * the walk takes an id too, and a reference field naming it points at that id, which no object has: importers treat
 * it as null. Ids are {@code Ref:<n>} numbered from 0 in each export (Xapi counts on across its process's life), so
 * that an export is the same bytes for the same VM. Stateless.
 */
final class OvaXml {
    static final String FILE = "ova.xml";
    /** Xapi's {@code export_vsn}: inline XXH64 checksums, no checksum table at the end. */
    static final long EXPORT_VSN = 2;

    static final String VERSION = "version";
    static final String OBJECTS = "objects";
    static final String CLASS = "class";
    static final String ID = "id";
    static final String SNAPSHOT = "snapshot";

    private OvaXml() {}

    /** The exported objects and their ids, in the order the walk met them. */
    static final class Table {
        private final Map<String, String> ids = new LinkedHashMap<>();
        private final Map<String, String> classes = new LinkedHashMap<>();

        private void add(String cls, String ref) {
            if (ids.containsKey(ref)) return;
            ids.put(ref, "Ref:" + ids.size());
            if (!Refs.isNull(ref)) classes.put(ref, cls);
        }

        /** The id of {@code ref}, or {@code OpaqueRef:NULL} when it is not exported. */
        String id(String ref) {
            return ids.getOrDefault(ref, Refs.NULL);
        }

        boolean has(String ref) {
            return ids.containsKey(ref);
        }

        /** The exported objects of {@code cls}, in walk order. */
        List<String> of(String cls) {
            List<String> out = new ArrayList<>();
            classes.forEach((ref, c) -> {
                if (c.equals(cls)) out.add(ref);
            });
            return out;
        }

        private List<String> filter(List<String> refs) {
            List<String> out = new ArrayList<>();
            for (String r : refs) if (ids.containsKey(r)) out.add(ids.get(r));
            return out;
        }
    }

    /** The {@code other_config} key marking a default template ({@code Xapi_globs.default_template_key}). */
    static final String DEFAULT_TEMPLATE = "default_template";

    /**
     * Xapi's test for a default template on export ({@code all=true} leaves them out) and on import (one here of the
     * same name stands for it): the flag, or a template whose {@code other_config} says so.
     */
    static boolean isDefaultTemplate(boolean isDefaultTemplate, boolean isTemplate, Map<String, String> otherConfig) {
        return isDefaultTemplate || isTemplate && "true".equals(otherConfig.get(DEFAULT_TEMPLATE));
    }

    /** What a walk takes in: Xapi's {@code update_table} arguments. */
    record Selection(boolean snapshots, boolean keepPower, boolean vhdParents, Set<String> excluded) {
        /** A full export ({@code export.ml export}): no snapshots, no parents, every device. */
        static Selection full(boolean keepPower) {
            return new Selection(false, keepPower, false, Set.of());
        }
    }

    /** The device types {@code excluded_device_types} may name ({@code Devicetype}). */
    static final Set<String> DEVICE_TYPES = Set.of("vif", "vbd", "vgpu", "vtpm");

    /** Xapi's {@code update_table} for one VM of a full export. */
    static Table select(Db data, String vm, boolean preservePowerState) {
        return select(data, List.of(vm), Selection.full(preservePowerState));
    }

    /** Xapi's {@code update_table} over {@code vms}. */
    static Table select(Db data, List<String> vms, Selection s) {
        Table t = new Table();
        for (String vm : vms) walk(data, t, vm, s.snapshots(), s);
        return t;
    }

    private static void walk(Db data, Table t, String vm, boolean snapshots, Selection s) {
        if (!data.exists(VM.XAPI_CLASS, vm) || t.has(vm)) return;
        t.add(VM.XAPI_CLASS, vm);
        if (!s.excluded().contains("vif")) {
            for (String vif : data.get(vm, VM.VIFS)) {
                if (!data.exists(VIF.XAPI_CLASS, vif)) continue;
                t.add(VIF.XAPI_CLASS, vif);
                t.add(Network.XAPI_CLASS, data.get(vif, VIF.NETWORK));
            }
        }
        if (!s.excluded().contains("vbd")) {
            for (String vbd : data.get(vm, VM.VBDS)) {
                if (!data.exists(VBD.XAPI_CLASS, vbd)) continue;
                t.add(VBD.XAPI_CLASS, vbd);
                if (!data.get(vbd, VBD.EMPTY)) addVdi(data, t, data.get(vbd, VBD.VDI), s.vhdParents());
            }
        }
        if (snapshots) for (String snap : data.get(vm, VM.SNAPSHOTS)) walk(data, t, snap, false, s);
        String suspend = data.get(vm, VM.SUSPEND_VDI);
        if (s.keepPower()
                && VmPowerState.SUSPENDED.wire().equals(data.get(vm, VM.POWER_STATE))
                && data.exists(VDI.XAPI_CLASS, suspend)) addVdi(data, t, suspend, s.vhdParents());
        t.add(VMMetrics.XAPI_CLASS, data.get(vm, VM.METRICS));
        t.add(VMGuestMetrics.XAPI_CLASS, data.get(vm, VM.GUEST_METRICS));
        t.add(Host.XAPI_CLASS, data.get(vm, VM.RESIDENT_ON));
        t.add(Host.XAPI_CLASS, data.get(vm, VM.AFFINITY));
        if (snapshots) walk(data, t, data.get(vm, VM.PARENT), false, s);
    }

    /** Xapi's {@code sm_config} key naming a VHD's parent VDI by uuid. */
    static final String VHD_PARENT = "vhd-parent";

    private static void addVdi(Db data, Table t, String vdi, boolean parents) {
        t.add(VDI.XAPI_CLASS, vdi);
        if (!data.exists(VDI.XAPI_CLASS, vdi)) return;
        t.add(SR.XAPI_CLASS, data.get(vdi, VDI.SR));
        String parent = parents ? data.get(vdi, VDI.SM_CONFIG).get(VHD_PARENT) : null;
        if (parent != null)
            data.findByUuid(VDI.XAPI_CLASS, parent).ifPresent(p -> {
                if (!t.has(p)) addVdi(data, t, p, true);
            });
    }

    /** The classes in Xapi's emission order ({@code make_all}; the GPU, PVS and vTPM classes are not exported). */
    private static final List<String> ORDER = List.of(
            Host.XAPI_CLASS,
            VM.XAPI_CLASS,
            VMMetrics.XAPI_CLASS,
            VMGuestMetrics.XAPI_CLASS,
            VBD.XAPI_CLASS,
            VIF.XAPI_CLASS,
            Network.XAPI_CLASS,
            VDI.XAPI_CLASS,
            SR.XAPI_CLASS);

    /** The {@code ova.xml} bytes of the objects of {@code t}; {@code version} from this host's software version. */
    static byte[] write(Datamodel dm, Db data, String thisHost, Table t, boolean preservePowerState) {
        return write(dm, data, thisHost, t, preservePowerState, false);
    }

    /**
     * The {@code ova.xml} bytes of the objects of {@code t}; {@code withSnapshots} keeps the VMs' snapshot fields (a
     * metadata export with its snapshots).
     */
    static byte[] write(
            Datamodel dm, Db data, String thisHost, Table t, boolean preservePowerState, boolean withSnapshots) {
        List<Object> objects = new ArrayList<>();
        for (String cls : ORDER) {
            for (String ref : t.of(cls)) {
                if (!data.exists(cls, ref)) continue;
                Map<String, Object> rec = new LinkedHashMap<>(data.record(cls, ref));
                rewrite(cls, rec, t, preservePowerState, withSnapshots);
                Map<String, Object> obj = new LinkedHashMap<>();
                obj.put(CLASS, cls);
                obj.put(ID, t.id(ref));
                obj.put(SNAPSHOT, Marshal.record(dm, dm.cls(cls), rec));
                objects.add(obj);
            }
        }
        Map<String, Object> header = new LinkedHashMap<>();
        header.put(VERSION, version(data, thisHost));
        header.put(OBJECTS, objects);
        return XmlRpcWriter.toString(header).getBytes(StandardCharsets.UTF_8);
    }

    /** Xapi's {@code rpc_of_version} of this host: ints untyped, as {@code Xmlrpc.to_string} writes them. */
    private static Map<String, Object> version(Db data, String host) {
        Map<String, String> sv = data.get(host, Host.SOFTWARE_VERSION);
        String[] xapi = sv.getOrDefault("xapi", "0.0").split("\\.");
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("hostname", sv.getOrDefault("hostname", ""));
        v.put("date", sv.getOrDefault("date", ""));
        v.put("product_version", sv.getOrDefault("product_version", ""));
        v.put("product_brand", sv.getOrDefault("product_brand", ""));
        v.put("build_number", sv.getOrDefault("build_number", ""));
        v.put("xapi_major", Long.toString(Long.parseLong(xapi[0])));
        v.put("xapi_minor", Long.toString(xapi.length > 1 ? Long.parseLong(xapi[1]) : 0));
        v.put("export_vsn", Long.toString(EXPORT_VSN));
        return v;
    }

    /** xapi major and minor of this host, for the import's version check. */
    static long[] thisVersion(Db data, String host) {
        Map<String, Object> v = version(data, host);
        return new long[] {Long.parseLong((String) v.get("xapi_major")), Long.parseLong((String) v.get("xapi_minor"))};
    }

    /** Xapi's {@code make_<class>}: what an export keeps of each record. */
    private static void rewrite(String cls, Map<String, Object> r, Table t, boolean keepPower, boolean withSnapshots) {
        switch (cls) {
            case Host.XAPI_CLASS -> {
                for (Field<?> f : List.of(
                        Host.PIFS,
                        Host.PBDS,
                        Host.PGPUS,
                        Host.PCIS,
                        Host.HOST_CPUS,
                        Host.PATCHES,
                        Host.CRASHDUMPS,
                        Host.SUPPORTED_BOOTLOADERS,
                        Host.CAPABILITIES,
                        Host.HA_STATEFILES,
                        Host.HA_NETWORK_PEERS,
                        Host.TAGS)) r.put(f.name(), List.of());
                for (Field<?> f : List.of(
                        Host.BLOBS,
                        Host.LICENSE_PARAMS,
                        Host.EXTERNAL_AUTH_CONFIGURATION,
                        Host.LOGGING,
                        Host.CPU_CONFIGURATION,
                        Host.OTHER_CONFIG,
                        Host.SOFTWARE_VERSION)) r.put(f.name(), Map.of());
                r.put(Host.EXTERNAL_AUTH_TYPE.name(), "");
                r.put(Host.EXTERNAL_AUTH_SERVICE_NAME.name(), "");
                r.put(Host.SCHED_POLICY.name(), "");
                r.put(Host.METRICS.name(), Refs.NULL);
                lookup(r, Host.CRASH_DUMP_SR, t);
                lookup(r, Host.SUSPEND_IMAGE_SR, t);
                filter(r, Host.RESIDENT_VMS, t);
            }
            case VM.XAPI_CLASS -> {
                if (!keepPower) r.put(VM.POWER_STATE.name(), VmPowerState.HALTED.wire());
                if (keepPower) lookup(r, VM.SUSPEND_VDI, t);
                else r.put(VM.SUSPEND_VDI.name(), Refs.NULL);
                if (withSnapshots) {
                    // the snapshots' references stay as they are here, as Xapi's make_vm leaves them
                    lookup(r, VM.SNAPSHOT_OF, t);
                    lookup(r, VM.PARENT, t);
                } else {
                    r.put(VM.IS_A_SNAPSHOT.name(), false);
                    r.put(VM.SNAPSHOT_OF.name(), Refs.NULL);
                    r.put(VM.SNAPSHOTS.name(), List.of());
                    r.put(VM.SNAPSHOT_TIME.name(), DateTime.EPOCH);
                    r.put(VM.TRANSPORTABLE_SNAPSHOT_ID.name(), "");
                    r.put(VM.PARENT.name(), Refs.NULL);
                }
                r.put(VM.CURRENT_OPERATIONS.name(), Map.of());
                r.put(VM.ALLOWED_OPERATIONS.name(), List.of());
                r.put(VM.CRASH_DUMPS.name(), List.of());
                r.put(VM.CONSOLES.name(), List.of());
                r.put(VM.BLOBS.name(), Map.of());
                r.put(VM.PROTECTION_POLICY.name(), Refs.NULL);
                filter(r, VM.VIFS, t);
                filter(r, VM.VBDS, t);
                filter(r, VM.VGPUS, t);
                filter(r, VM.VTPMS, t);
                lookup(r, VM.RESIDENT_ON, t);
                lookup(r, VM.AFFINITY, t);
                lookup(r, VM.METRICS, t);
                lookup(r, VM.GUEST_METRICS, t);
            }
            case VIF.XAPI_CLASS -> {
                if (!keepPower) r.put(VIF.CURRENTLY_ATTACHED.name(), false);
                lookup(r, VIF.NETWORK, t);
                lookup(r, VIF.VM, t);
                r.put(VIF.CURRENT_OPERATIONS.name(), Map.of());
                r.put(VIF.ALLOWED_OPERATIONS.name(), List.of());
            }
            case Network.XAPI_CLASS -> {
                filter(r, Network.VIFS, t);
                r.put(Network.PIFS.name(), List.of());
                r.put(Network.CURRENT_OPERATIONS.name(), Map.of());
                r.put(Network.ALLOWED_OPERATIONS.name(), List.of());
            }
            case VBD.XAPI_CLASS -> {
                if (!keepPower) r.put(VBD.CURRENTLY_ATTACHED.name(), false);
                lookup(r, VBD.VDI, t);
                lookup(r, VBD.VM, t);
                r.put(VBD.CURRENT_OPERATIONS.name(), Map.of());
                r.put(VBD.ALLOWED_OPERATIONS.name(), List.of());
            }
            case VDI.XAPI_CLASS -> {
                filter(r, VDI.VBDS, t);
                r.put(VDI.CRASH_DUMPS.name(), List.of());
                lookup(r, VDI.SR, t);
                r.put(VDI.CURRENT_OPERATIONS.name(), Map.of());
                r.put(VDI.ALLOWED_OPERATIONS.name(), List.of());
            }
            case SR.XAPI_CLASS -> {
                filter(r, SR.VDIS, t);
                r.put(SR.PBDS.name(), List.of());
                r.put(SR.CURRENT_OPERATIONS.name(), Map.of());
                r.put(SR.ALLOWED_OPERATIONS.name(), List.of());
            }
            default -> {} // VM_metrics, VM_guest_metrics: as they are
        }
    }

    private static void lookup(Map<String, Object> r, Field<String> f, Table t) {
        r.put(f.name(), t.id((String) r.get(f.name())));
    }

    @SuppressWarnings("unchecked")
    private static void filter(Map<String, Object> r, Field<List<String>> f, Table t) {
        Object v = r.get(f.name());
        r.put(f.name(), v == null ? List.of() : t.filter((List<String>) v));
    }

    // ------------------------------------------------------------------------------------------------ reading

    /** One object of an archive: its class, id and record as the archive has it (XML-RPC values). */
    record Obj(String cls, String id, Map<String, Object> snapshot) {}

    /** What an archive's {@code ova.xml} holds. */
    record Header(long xapiMajor, long xapiMinor, long exportVsn, List<Obj> objects) {}

    /** Parses {@code ova.xml}: a malformed one is {@code IMPORT_ERROR_GENERIC} with the reason. */
    @SuppressWarnings("unchecked")
    static Header parse(byte[] xml) {
        Object v;
        try {
            v = XmlRpcReader.RESPONSES.readValue(xml);
        } catch (XmlRpcParseException e) {
            throw generic("ova.xml is not an XML-RPC value: " + e.getMessage());
        }
        if (!(v instanceof Map<?, ?> top)
                || !(top.get(VERSION) instanceof Map<?, ?> version)
                || !(top.get(OBJECTS) instanceof List<?> objects)) throw generic("ova.xml has no version and objects");
        List<Obj> out = new ArrayList<>();
        for (Object o : objects) {
            if (!(o instanceof Map<?, ?> m)
                    || !(m.get(CLASS) instanceof String cls)
                    || !(m.get(ID) instanceof String id)
                    || !(m.get(SNAPSHOT) instanceof Map<?, ?> snapshot))
                throw generic("ova.xml has a malformed object");
            out.add(new Obj(cls, id, (Map<String, Object>) snapshot));
        }
        long major = integer(version.get("xapi_major"), -1);
        long minor = integer(version.get("xapi_minor"), -1);
        if (major < 0 || minor < 0) throw generic("ova.xml has a malformed version");
        return new Header(major, minor, integer(version.get("export_vsn"), 0), out);
    }

    /** An int of the version struct (untyped string or {@code <i4>}); {@code absent} when missing or malformed. */
    private static long integer(Object v, long absent) {
        if (v instanceof Number n) return n.longValue();
        if (v instanceof String s) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                return absent;
            }
        }
        return absent;
    }

    static ApiError generic(String message) {
        return new ApiError(ErrorCodes.IMPORT_ERROR, message);
    }
}
