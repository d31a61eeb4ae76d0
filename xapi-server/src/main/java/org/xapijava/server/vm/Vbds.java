package org.xapijava.server.vm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.model.types.Refs;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.xenopsd.DeviceNumber;

/**
 * {@code VBD.create}, {@code VBD.destroy} and the VBD copy of clones ({@code xapi_vbd.ml},
 * {@code xapi_vbd_helpers.ml}), and the device numbering they share with
 * {@code VM.get_allowed_VBD_devices} ({@code xapi_vm_helpers.ml}). The writes of one call are one
 * {@link Update} conditional on the rows its checks read being unchanged, which also does what Xapi's
 * {@code autodetect_mutex} does: two concurrent creates never get the same device (the second reads again). No {@code VBD_metrics} rows are made: the datamodel
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

    /**
     * {@code VBD.create} from the constructor record. The checks read the VM, its VBDs and the VDI; the row is
     * created on condition that none of them changed meanwhile (else everything is read again).
     */
    static String create(CallContext ctx, Map<String, Object> r) {
        Db data = ctx.data();
        String pool = data.all(Pool.XAPI_CLASS).get(0); // Helpers.get_pool
        return Db.retrying(() -> createOnce(data, pool, r));
    }

    private static String createOnce(Db data, String pool, Map<String, Object> r) {
        String vm = Db.value(r, VBD.VM);
        String vdi = Db.value(r, VBD.VDI);
        String userdevice = Db.value(r, VBD.USERDEVICE);
        String mode = Db.value(r, VBD.MODE);
        String type = Db.value(r, VBD.TYPE);
        boolean empty = Db.value(r, VBD.EMPTY);
        Update.Builder u = Update.builder();
        // read first: a change after this is a conflict
        u.unchanged(VM.XAPI_CLASS, vm, data.modified(VM.XAPI_CLASS, vm));
        boolean suspended = "Suspended".equals(data.get(vm, VM.POWER_STATE));
        OptionalLong vdiRead = data.version(VDI.XAPI_CLASS, vdi);
        if (vdiRead.isPresent()) u.unchanged(VDI.XAPI_CLASS, vdi, vdiRead.getAsLong());
        if (!empty) {
            String vt = data.get(vdi, VDI.TYPE);
            if (!ATTACHABLE_TYPES.contains(vt)) throw new ApiError("VDI_INCOMPATIBLE_TYPE", vdi, vt);
        }
        if (type.equals("CD") && !mode.equals("RO")) throw new ApiError("VBD_CDS_MUST_BE_READONLY");
        if (!type.equals("CD") && empty) throw new ApiError("VBD_NOT_REMOVABLE_MEDIA", "in constructor");
        if (mode.equals("RW") && Boolean.TRUE.equals(data.get(vdi, VDI.READ_ONLY))) {
            throw new ApiError("VDI_READONLY", vdi);
        }
        // CA-75697: no new VBD on a VM being migrated
        for (Map.Entry<String, String> op : data.get(vm, VM.CURRENT_OPERATIONS).entrySet()) {
            if (op.getValue().equals("migrate_send") || op.getValue().equals("pool_migrate")) {
                throw new ApiError("OTHER_OPERATION_IN_PROGRESS", VM.XAPI_CLASS, vm, op.getValue(), op.getKey());
            }
        }
        // what Xapi's autodetect_mutex guards: the devices of the VM's VBDs, unchanged until the create
        for (String other : data.get(vm, VM.VBDS)) {
            OptionalLong read = data.version(VBD.XAPI_CLASS, other);
            // gone since the VM was read: the VM changed too
            if (read.isEmpty()) throw new Db.Conflict(other + " is gone");
            u.unchanged(VBD.XAPI_CLASS, other, read.getAsLong());
        }
        List<DeviceNumber> possible = allowedDevices(data, vm, type);
        if (!validDevice(userdevice, type)) throw new ApiError("INVALID_DEVICE", userdevice);
        String device = userdevice;
        if (userdevice.equals("autodetect")) {
            if (possible.isEmpty()) throw new ApiError("INVALID_DEVICE", userdevice);
            DeviceNumber first = possible.get(0);
            device = type.equals("Floppy") ? first.toLinuxDevice() : Long.toString(first.disk());
        }
        List<DeviceNumber> used = usedDevices(data, vm);
        for (DeviceNumber d : DeviceNumber.possible(device)) {
            if (used.contains(d)) throw new ApiError("DEVICE_ALREADY_EXISTS", device);
        }
        if (!empty) VbdDevices.assertDoesntMakeVmNonAgile(data, pool, vm, vdi);
        Map<String, String> otherConfig = Db.value(r, VBD.OTHER_CONFIG);
        if (vdiRead.isPresent()) {
            String kind = data.get(vdi, VDI.SM_CONFIG).get(BACKEND_KIND);
            if (kind != null) {
                Map<String, String> oc = new LinkedHashMap<>();
                oc.put(BACKEND_KIND, kind);
                oc.putAll(otherConfig);
                otherConfig = oc;
            }
        }
        FieldValues v = FieldValues.of(VBD.XAPI_CLASS)
                .with(VBD.CURRENT_OPERATIONS, Map.of())
                .with(VBD.ALLOWED_OPERATIONS, List.of())
                .with(VBD.STORAGE_LOCK, false)
                .with(VBD.VM, vm)
                .with(VBD.VDI, vdi)
                .with(VBD.USERDEVICE, device)
                .with(VBD.DEVICE, suspended ? Db.value(r, VBD.DEVICE) : "")
                .with(VBD.BOOTABLE, Db.value(r, VBD.BOOTABLE))
                .with(VBD.MODE, mode)
                .with(VBD.TYPE, type)
                .with(VBD.UNPLUGGABLE, Db.value(r, VBD.UNPLUGGABLE))
                .with(VBD.EMPTY, empty)
                .with(VBD.RESERVED, false)
                .with(VBD.QOS_ALGORITHM_TYPE, Db.value(r, VBD.QOS_ALGORITHM_TYPE))
                .with(VBD.QOS_ALGORITHM_PARAMS, Db.value(r, VBD.QOS_ALGORITHM_PARAMS))
                .with(VBD.QOS_SUPPORTED_ALGORITHMS, List.of())
                .with(VBD.CURRENTLY_ATTACHED, suspended && Db.value(r, VBD.CURRENTLY_ATTACHED))
                .with(VBD.STATUS_CODE, 0L)
                .with(VBD.STATUS_DETAIL, "")
                .with(VBD.RUNTIME_PROPERTIES, Map.of())
                .with(VBD.OTHER_CONFIG, otherConfig)
                .with(VBD.UUID, Rows.uuid());
        String ref = Rows.create(u, v);
        data.apply(u.build());
        return ref;
    }

    /** {@code VBD.destroy}: refused while attached (checked on the VBD as it is when it is deleted). */
    static void destroy(CallContext ctx, String vbd) {
        Db data = ctx.data();
        Db.retrying(() -> {
            long read = data.modified(VBD.XAPI_CLASS, vbd);
            if (Boolean.TRUE.equals(data.get(vbd, VBD.CURRENTLY_ATTACHED))
                    || Boolean.TRUE.equals(data.get(vbd, VBD.RESERVED))) {
                String vm = data.get(vbd, VBD.VM);
                throw new ApiError(
                        "OPERATION_NOT_ALLOWED",
                        "VBD '" + data.get(vbd, VBD.UUID) + "' still attached to '" + data.get(vm, VM.UUID) + "'");
            }
            Update.Builder u = Update.builder().unchanged(VBD.XAPI_CLASS, vbd, read);
            delete(u, vbd);
            data.apply(u.build());
        });
    }

    /** Adds the deletion of a VBD to {@code u} (no checks). */
    static void delete(Update.Builder u, String vbd) {
        u.delete(VBD.XAPI_CLASS, vbd);
    }

    /**
     * {@code Xapi_vbd_helpers.copy}: adds a VBD of {@code vm} like {@code vbd} but pointing at {@code vdi} (empty
     * when that is NULL), with no operations, to {@code u}, on condition that {@code vbd} is still as read;
     * returns its ref.
     */
    static String copy(Db data, Update.Builder u, String vbd, String vm, String vdi) {
        u.unchanged(VBD.XAPI_CLASS, vbd, data.modified(VBD.XAPI_CLASS, vbd));
        Map<String, Object> all = data.record(VBD.XAPI_CLASS, vbd);
        FieldValues v = FieldValues.of(VBD.XAPI_CLASS)
                .with(VBD.ALLOWED_OPERATIONS, List.of())
                .with(VBD.CURRENT_OPERATIONS, Map.of())
                .with(VBD.STORAGE_LOCK, false)
                .with(VBD.VM, vm)
                .with(VBD.VDI, vdi)
                .with(VBD.EMPTY, Db.value(all, VBD.EMPTY) || Refs.isNull(vdi))
                .with(VBD.RESERVED, false)
                .with(VBD.USERDEVICE, Db.value(all, VBD.USERDEVICE))
                .with(VBD.DEVICE, Db.value(all, VBD.DEVICE))
                .with(VBD.BOOTABLE, Db.value(all, VBD.BOOTABLE))
                .with(VBD.MODE, Db.value(all, VBD.MODE))
                .with(VBD.CURRENTLY_ATTACHED, Db.value(all, VBD.CURRENTLY_ATTACHED))
                .with(VBD.STATUS_CODE, 0L)
                .with(VBD.TYPE, Db.value(all, VBD.TYPE))
                .with(VBD.UNPLUGGABLE, Db.value(all, VBD.UNPLUGGABLE))
                .with(VBD.STATUS_DETAIL, "")
                .with(VBD.OTHER_CONFIG, Db.value(all, VBD.OTHER_CONFIG))
                .with(VBD.QOS_ALGORITHM_TYPE, Db.value(all, VBD.QOS_ALGORITHM_TYPE))
                .with(VBD.QOS_ALGORITHM_PARAMS, Db.value(all, VBD.QOS_ALGORITHM_PARAMS))
                .with(VBD.QOS_SUPPORTED_ALGORITHMS, List.of())
                .with(VBD.RUNTIME_PROPERTIES, Map.of())
                .with(VBD.UUID, Rows.uuid());
        return Rows.create(u, v);
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
    static List<DeviceNumber> allowedDevices(Db db, String vm, String type) {
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
    static List<DeviceNumber> usedDevices(Db db, String vm) {
        List<String> vbds = db.get(vm, VM.VBDS);
        List<String> names = new ArrayList<>();
        for (String vbd : vbds) names.add(db.get(vbd, VBD.DEVICE));
        for (String vbd : vbds) names.add(db.get(vbd, VBD.USERDEVICE));
        List<DeviceNumber> out = new ArrayList<>();
        for (String n : names) out.addAll(DeviceNumber.possible(n));
        return out;
    }

    /** {@code VM.get_allowed_VBD_devices}: the disk numbers still free for a disk. */
    static List<String> allowedDiskNumbers(Db db, String vm) {
        List<String> out = new ArrayList<>();
        for (DeviceNumber d : allowedDevices(db, vm, "Disk")) out.add(Long.toString(d.disk()));
        return out;
    }
}
