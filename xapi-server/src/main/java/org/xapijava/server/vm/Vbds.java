package org.xapijava.server.vm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.db.DbReader;
import org.xapijava.db.Transaction;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.model.types.Refs;
import org.xapijava.server.DbValues;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.xenopsd.DeviceNumber;

/**
 * {@code VBD.create}, {@code VBD.destroy} and the VBD copy of clones ({@code xapi_vbd.ml},
 * {@code xapi_vbd_helpers.ml}), and the device numbering they share with
 * {@code VM.get_allowed_VBD_devices} ({@code xapi_vm_helpers.ml}). Every check and write of one call
 * runs in one database transaction, which also does what Xapi's {@code autodetect_mutex} does: two
 * concurrent creates never get the same device. No {@code VBD_metrics} rows are made: the datamodel
 * removed that class and the {@code VBD.metrics} field, so no client could reach them. Thread-safe.
 */
final class Vbds {
    /** The VDI types a VBD may point at. */
    private static final Set<String> ATTACHABLE_TYPES =
            Set.of("system", "user", "ephemeral", "suspend", "crashdump", "metadata", "rrd", "pvs_cache");
    /** The VBD {@code other_config} key a driver may set through the VDI's {@code sm_config}. */
    static final String BACKEND_KIND = "backend-kind";
    /** Highest disk number offered to guests (254) and to control domains (255). */
    private static final int MAX_DISK = 254;

    private static final int MAX_DISK_CONTROL_DOMAIN = 255;

    private Vbds() {}

    /** {@code VBD.create} from the constructor record. */
    @SuppressWarnings("unchecked")
    static String create(CallContext ctx, Map<String, Object> r) {
        String vm = (String) r.get("VM");
        String vdi = (String) r.get("VDI");
        String userdevice = (String) r.get("userdevice");
        String mode = (String) r.get("mode");
        String type = (String) r.get("type");
        boolean empty = (Boolean) r.get("empty");
        return ctx.db().call(tx -> {
            boolean suspended = "Suspended".equals(tx.get(vm, VM.POWER_STATE));
            if (!empty) {
                String vt = (String) tx.get(vdi, VDI.TYPE);
                if (!ATTACHABLE_TYPES.contains(vt)) throw new ApiError("VDI_INCOMPATIBLE_TYPE", vdi, vt);
            }
            if (type.equals("CD") && !mode.equals("RO")) throw new ApiError("VBD_CDS_MUST_BE_READONLY");
            if (!type.equals("CD") && empty) throw new ApiError("VBD_NOT_REMOVABLE_MEDIA", "in constructor");
            if (mode.equals("RW") && Boolean.TRUE.equals(tx.get(vdi, VDI.READ_ONLY))) {
                throw new ApiError("VDI_READONLY", vdi);
            }
            // CA-75697: no new VBD on a VM being migrated
            for (Map.Entry<String, String> op :
                    tx.get(vm, VM.CURRENT_OPERATIONS).entrySet()) {
                if (op.getValue().equals("migrate_send") || op.getValue().equals("pool_migrate")) {
                    throw new ApiError("OTHER_OPERATION_IN_PROGRESS", "VM", vm, op.getValue(), op.getKey());
                }
            }
            List<DeviceNumber> possible = allowedDevices(tx, vm, type);
            if (!validDevice(userdevice, type)) throw new ApiError("INVALID_DEVICE", userdevice);
            String device = userdevice;
            if (userdevice.equals("autodetect")) {
                if (possible.isEmpty()) throw new ApiError("INVALID_DEVICE", userdevice);
                DeviceNumber first = possible.get(0);
                device = type.equals("Floppy") ? first.toLinuxDevice() : Long.toString(first.disk());
            }
            List<DeviceNumber> used = usedDevices(tx, vm);
            for (DeviceNumber d : DeviceNumber.possible(device)) {
                if (used.contains(d)) throw new ApiError("DEVICE_ALREADY_EXISTS", device);
            }
            Map<String, String> otherConfig = (Map<String, String>) r.get("other_config");
            if (DbValues.valid(tx, VDI.XAPI_CLASS, vdi)) {
                String kind = tx.get(vdi, VDI.SM_CONFIG).get(BACKEND_KIND);
                if (kind != null) {
                    Map<String, String> oc = new LinkedHashMap<>();
                    oc.put(BACKEND_KIND, kind);
                    oc.putAll(otherConfig);
                    otherConfig = oc;
                }
            }
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("current_operations", Map.of());
            v.put("allowed_operations", List.of());
            v.put("storage_lock", false);
            v.put("VM", vm);
            v.put("VDI", vdi);
            v.put("userdevice", device);
            v.put("device", suspended ? r.get("device") : "");
            v.put("bootable", r.get("bootable"));
            v.put("mode", mode);
            v.put("type", type);
            v.put("unpluggable", r.get("unpluggable"));
            v.put("empty", empty);
            v.put("reserved", false);
            v.put("qos_algorithm_type", r.get("qos_algorithm_type"));
            v.put("qos_algorithm_params", r.get("qos_algorithm_params"));
            v.put("qos_supported_algorithms", List.of());
            v.put("currently_attached", suspended && (Boolean) r.get("currently_attached"));
            v.put("status_code", 0L);
            v.put("status_detail", "");
            v.put("runtime_properties", Map.of());
            v.put("other_config", otherConfig);
            return Rows.create(tx, "VBD", v);
        });
    }

    /** {@code VBD.destroy}: refused while attached. */
    static void destroy(CallContext ctx, String vbd) {
        ctx.db().transact(tx -> {
            if (Boolean.TRUE.equals(tx.get(vbd, VBD.CURRENTLY_ATTACHED))
                    || Boolean.TRUE.equals(tx.get(vbd, VBD.RESERVED))) {
                String vm = (String) tx.get(vbd, VBD.VM);
                throw new ApiError(
                        "OPERATION_NOT_ALLOWED",
                        "VBD '" + tx.get(vbd, VBD.UUID) + "' still attached to '" + tx.get(vm, VM.UUID) + "'");
            }
            delete(tx, vbd);
        });
    }

    /** Deletes a VBD (no checks). */
    static void delete(Transaction tx, String vbd) {
        tx.delete("VBD", vbd);
    }

    /**
     * {@code Xapi_vbd_helpers.copy}: a VBD of {@code vm} like {@code vbd} but pointing at {@code vdi}
     * (empty when that is NULL), with no operations.
     */
    static String copy(Transaction tx, String vbd, String vm, String vdi) {
        Map<String, Object> all = tx.getRecord("VBD", vbd);
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("allowed_operations", List.of());
        v.put("current_operations", Map.of());
        v.put("storage_lock", false);
        v.put("VM", vm);
        v.put("VDI", vdi);
        v.put("empty", (Boolean) all.get("empty") || Refs.isNull(vdi));
        v.put("reserved", false);
        v.put("userdevice", all.get("userdevice"));
        v.put("device", all.get("device"));
        v.put("bootable", all.get("bootable"));
        v.put("mode", all.get("mode"));
        v.put("currently_attached", all.get("currently_attached"));
        v.put("status_code", 0L);
        v.put("type", all.get("type"));
        v.put("unpluggable", all.get("unpluggable"));
        v.put("status_detail", "");
        v.put("other_config", all.get("other_config"));
        v.put("qos_algorithm_type", all.get("qos_algorithm_type"));
        v.put("qos_algorithm_params", all.get("qos_algorithm_params"));
        v.put("qos_supported_algorithms", List.of());
        v.put("runtime_properties", Map.of());
        return Rows.create(tx, "VBD", v);
    }

    // ------------------------------------------------------------------ device numbers

    /** {@code valid_device}: autodetect, a device name, or (not for floppies) any OCaml integer. */
    static boolean validDevice(String dev, String type) {
        if (dev.equals("autodetect") || DeviceNumber.ofString(false, dev).isPresent()) return true;
        // Xapi's range test (n >= 0 || n < 16) holds for every integer
        return !type.equals("Floppy") && RpcValues.tryParseOcamlInt(dev).isPresent();
    }

    /**
     * {@code allowed_VBD_devices}: the devices a new VBD of {@code type} may take on {@code vm}, in
     * order, minus those in use; a floppy on a VM without a device model is
     * {@code NOT_IMPLEMENTED}.
     */
    static List<DeviceNumber> allowedDevices(DbReader db, String vm, String type) {
        boolean qemu = "hvm".equals(db.get(vm, VM.DOMAIN_TYPE));
        boolean controlDomain = Boolean.TRUE.equals(db.get(vm, VM.IS_CONTROL_DOMAIN));
        List<DeviceNumber> all = new ArrayList<>();
        if (type.equals("Floppy")) {
            if (!qemu) throw new ApiError("NOT_IMPLEMENTED", "VBD of type 'floppy' is not supported on PV domain");
            for (int i = 0; i <= 1; i++)
                all.add(DeviceNumber.make(DeviceNumber.Bus.Floppy, i, 0).orElseThrow());
        } else {
            int max = !qemu && controlDomain ? MAX_DISK_CONTROL_DOMAIN : MAX_DISK;
            for (int i = 0; i <= max; i++) {
                DeviceNumber.ofDiskNumber(qemu, i).ifPresent(all::add);
            }
        }
        List<DeviceNumber> used = usedDevices(db, vm);
        all.removeIf(used::contains);
        return all;
    }

    /** {@code all_used_VBD_devices}: every reading of every VBD's {@code device} and {@code userdevice}. */
    @SuppressWarnings("unchecked")
    static List<DeviceNumber> usedDevices(DbReader db, String vm) {
        List<String> vbds = (List<String>) db.get(vm, VM.VBDS);
        List<String> names = new ArrayList<>();
        for (String vbd : vbds) names.add((String) db.get(vbd, VBD.DEVICE));
        for (String vbd : vbds) names.add((String) db.get(vbd, VBD.USERDEVICE));
        List<DeviceNumber> out = new ArrayList<>();
        for (String n : names) out.addAll(DeviceNumber.possible(n));
        return out;
    }

    /** {@code VM.get_allowed_VBD_devices}: the disk numbers still free for a disk. */
    static List<String> allowedDiskNumbers(DbReader db, String vm) {
        List<String> out = new ArrayList<>();
        for (DeviceNumber d : allowedDevices(db, vm, "Disk")) out.add(Long.toString(d.disk()));
        return out;
    }
}
