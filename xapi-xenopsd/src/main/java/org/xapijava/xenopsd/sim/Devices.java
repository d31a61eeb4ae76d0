package org.xapijava.xenopsd.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.DeviceNumber;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.DynamicId;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.XenopsError;

/**
 * The VMs' virtual devices: their configuration ({@code VBD.add/remove}, {@code VIF.add/remove}), their active
 * flags, and what plugging one into a domain does (the simulator backend's {@code add_vbd}, {@code add_vif},
 * {@code remove_*}, with {@code VBD.insert/eject} changing the medium). A domain keeps its plugged devices newest
 * first. Plugging a plugged device raises {@code Already_exists}; unplugging an unplugged one is a no-op with
 * {@code force} and {@code Device_not_connected} without; a plugged device cannot be removed
 * ({@code Device_is_connected}).
 *
 * <p>Thread-safe: every change is one {@link VmTable#update} (its function runs under the table's lock).
 */
final class Devices {

    private final VmTable vms;

    Devices(VmTable vms) {
        this.vms = vms;
    }

    // ------------------------------------------------------------------------------------------- configuration

    /** {@code VBD.add}: a new VBD, or a new configuration of a known one. */
    void addVbdConfig(Vbd vbd) {
        vms.update(vbd.id().vm(), e -> {
            if (e == null) throw XenopsError.doesNotExist("VM", vbd.id().vm());
            return e.withVbds(replacedOrAdded(e.vbds(), vbd, Vbd::id));
        });
    }

    /** {@code VBD.remove}. */
    void removeVbdConfig(DeviceId id) {
        vms.update(id.vm(), e -> {
            Vbd v = e == null ? null : e.vbd(id.name());
            if (v == null) throw XenopsError.doesNotExist("VM", id.vm() + "/vbd." + id.name());
            if (StateReports.vbdState(e, v).plugged()) throw XenopsError.deviceIsConnected();
            List<Vbd> rest = new ArrayList<>(e.vbds());
            rest.remove(v);
            return e.withVbds(rest);
        });
        vms.forget(new DynamicId.Vbd(id));
    }

    /** {@code VIF.add}: as {@code VBD.add}; a {@code "random"} or empty MAC is generated ({@link Macs}). */
    void addVifConfig(Vif vif) {
        vms.update(vif.id().vm(), e -> {
            if (e == null) throw XenopsError.doesNotExist("VM", vif.id().vm());
            return e.withVifs(replacedOrAdded(e.vifs(), Macs.withMac(vif, vif.id()), Vif::id));
        });
    }

    /** {@code VIF.remove}. */
    void removeVifConfig(DeviceId id) {
        vms.update(id.vm(), e -> {
            Vif v = e == null ? null : e.vif(id.name());
            if (v == null) throw XenopsError.doesNotExist("VM", id.vm() + "/vif." + id.name());
            if (StateReports.vifState(e, v).plugged()) throw XenopsError.deviceIsConnected();
            List<Vif> rest = new ArrayList<>(e.vifs());
            rest.remove(v);
            return e.withVifs(rest);
        });
        vms.forget(new DynamicId.Vif(id));
    }

    /** {@code list} with the device that has {@code device}'s id replaced by it, or else {@code device} appended. */
    private static <T> List<T> replacedOrAdded(List<T> list, T device, Function<T, DeviceId> idOf) {
        List<T> r = new ArrayList<>(list);
        for (int i = 0; i < r.size(); i++) {
            if (idOf.apply(r.get(i)).equals(idOf.apply(device))) {
                r.set(i, device);
                return r;
            }
        }
        r.add(device);
        return r;
    }

    /** {@code VBD_set_active} / {@code VIF_set_active}: {@code kind} is {@code "vbd"} or {@code "vif"}. */
    void setActive(String kind, DeviceId id, boolean active) {
        vms.update(id.vm(), e -> e.withActive(VmEntry.activeKey(kind, id), active));
    }

    // ------------------------------------------------------------------------------------------- plug order

    /** Read-write VBDs first, then read-only ones: the storage layer cannot upgrade a read-only attach. */
    static List<List<Vbd>> vbdPlugSets(List<Vbd> vbds) {
        List<Vbd> rw = new ArrayList<>();
        List<Vbd> ro = new ArrayList<>();
        for (Vbd v : vbds) (v.mode() == Vbd.Mode.ReadWrite ? rw : ro).add(v);
        return List.of(rw, ro);
    }

    /** VIFs by position. */
    static List<Vif> vifPlugOrder(List<Vif> vifs) {
        List<Vif> r = new ArrayList<>(vifs);
        r.sort((a, b) -> Integer.compare(a.position(), b.position()));
        return r;
    }

    // ------------------------------------------------------------------------------------------- in the domain

    /** The simulator's {@code add_vbd}: the first free disk number when the VBD has no position. */
    void plugVbd(Vbd vbd) {
        vms.updateDomain(vbd.id().vm(), d -> {
            int next = -1;
            List<DeviceNumber> used = new ArrayList<>();
            for (Vbd p : d.vbds()) {
                if (p.id().equals(vbd.id())) { // already plugged (the upstream simulator would plug it twice)
                    throw XenopsError.alreadyExists("vbd", debugString(p.position()));
                }
                if (p.position() != null) {
                    used.add(p.position());
                    next = Math.max(next, p.position().disk());
                }
            }
            DeviceNumber pos = vbd.position();
            if (pos == null) {
                pos = DeviceNumber.ofDiskNumber(d.hvm(), next + 1)
                        .orElseThrow(
                                () -> XenopsError.internalError("Ran out of available device numbers for the vbd"));
            }
            if (used.contains(pos)) {
                throw XenopsError.alreadyExists("vbd", debugString(pos));
            }
            List<Vbd> vbds = new ArrayList<>();
            vbds.add(vbd.withPosition(pos)); // newest first: the list is in reverse plug order
            vbds.addAll(d.vbds());
            return d.withVbds(vbds);
        });
    }

    /** {@code Device_number.to_debug_string}. */
    private static String debugString(DeviceNumber n) {
        return n == null ? "None" : n.bus() + "(" + n.disk() + ", " + n.partition() + ")";
    }

    void unplugVbd(Vbd vbd, boolean force) {
        vms.update(vbd.id().vm(), e -> {
            if (e == null || e.domain() == null) return e; // no domain: nothing is plugged
            List<Vbd> rest = new ArrayList<>();
            for (Vbd p : e.domain().vbds()) if (!p.id().equals(vbd.id())) rest.add(p);
            if (rest.size() == e.domain().vbds().size()) {
                if (force) return e;
                throw XenopsError.deviceNotConnected();
            }
            return e.withDomain(e.domain().withVbds(rest));
        });
    }

    /** {@code VBD.insert} ({@code disk}) or {@code VBD.eject} ({@code null}) on a plugged VBD. */
    void changeMedium(DeviceId id, Disk disk) {
        vms.updateDomain(id.vm(), d -> {
            List<Vbd> vbds = new ArrayList<>();
            boolean found = false;
            for (Vbd p : d.vbds()) {
                if (p.id().equals(id)) {
                    found = true;
                    if (disk != null && p.backend() != null) throw XenopsError.mediaPresent();
                    if (disk == null && p.backend() == null) throw XenopsError.mediaNotPresent();
                    vbds.add(p.withBackend(disk));
                } else {
                    vbds.add(p);
                }
            }
            if (!found) throw XenopsError.deviceNotConnected();
            return d.withVbds(vbds);
        });
    }

    void plugVif(Vif vif) {
        vms.updateDomain(vif.id().vm(), d -> {
            for (Vif p : d.vifs()) {
                if (p.position() == vif.position())
                    throw XenopsError.alreadyExists("vif", Integer.toString(vif.position()));
            }
            List<Vif> vifs = new ArrayList<>();
            vifs.add(vif);
            vifs.addAll(d.vifs());
            return d.withVifs(vifs);
        });
    }

    /**
     * Xenopsd's {@code VIF_DB.write} of a changed VIF record: {@code Does_not_exist ("VM", "vm/vif.n")} when
     * there is none. @return the VIF as it was
     */
    Vif updateVifConfig(DeviceId id, UnaryOperator<Vif> change) {
        Vif[] old = new Vif[1];
        vms.update(id.vm(), e -> {
            Vif v = e == null ? null : e.vif(id.name());
            if (v == null) throw XenopsError.doesNotExist("VM", id.vm() + "/vif." + id.name());
            old[0] = v;
            return e.withVifs(replacedOrAdded(e.vifs(), change.apply(v), Vif::id));
        });
        return old[0];
    }

    /**
     * The simulator backend's {@code set_locking_mode}, {@code set_ipv4_configuration}, ...: the plugged copy of
     * the VIF changed, if it is plugged; the domain must exist.
     */
    void updatePluggedVif(DeviceId id, UnaryOperator<Vif> change) {
        vms.updateDomain(id.vm(), d -> {
            List<Vif> vifs = new ArrayList<>();
            for (Vif p : d.vifs()) vifs.add(p.id().equals(id) ? change.apply(p) : p);
            return d.withVifs(vifs);
        });
    }

    /**
     * The simulator backend's {@code move_vif}: the plugged VIF on {@code network}, first in the domain's list;
     * {@code Does_not_exist ("VIF", "vm.n")} when it is not plugged.
     */
    void moveVif(Vif vif, Vif.Network network) {
        vms.updateDomain(vif.id().vm(), d -> {
            Vif plugged = null;
            List<Vif> rest = new ArrayList<>();
            for (Vif p : d.vifs()) {
                if (p.id().equals(vif.id())) plugged = p;
                else rest.add(p);
            }
            if (plugged == null) {
                throw XenopsError.doesNotExist(
                        "VIF", vif.id().vm() + "." + vif.id().name());
            }
            List<Vif> vifs = new ArrayList<>();
            vifs.add(plugged.withBackend(network));
            vifs.addAll(rest);
            return d.withVifs(vifs);
        });
    }

    void unplugVif(Vif vif, boolean force) {
        vms.update(vif.id().vm(), e -> {
            if (e == null || e.domain() == null) return e;
            List<Vif> rest = new ArrayList<>();
            for (Vif p : e.domain().vifs()) if (!p.id().equals(vif.id())) rest.add(p);
            if (rest.size() == e.domain().vifs().size()) {
                if (force) return e;
                throw XenopsError.deviceNotConnected();
            }
            return e.withDomain(e.domain().withVifs(rest));
        });
    }
}
