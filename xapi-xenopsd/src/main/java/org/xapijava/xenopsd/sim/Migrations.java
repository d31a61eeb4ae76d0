package org.xapijava.xenopsd.sim;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.XenopsClient;
import org.xapijava.xenopsd.XenopsError;

/**
 * Live migration between simulators, in the order of xenopsd's {@code VM_migrate} and {@code VM_receive_memory}
 * ({@code ocaml/xenopsd/lib/xenops_server.ml}), with the simulator's memory image for the memory stream.
 *
 * <p><b>Sender</b> ({@link #send}): the VM's metadata goes to the destination ({@code VM.import_metadata} through
 * the URL xapi gave, i.e. the destination host's xapi, which hands {@code /services/xenops} to its xenopsd); the
 * domain is paused (the last round of a live migration); the memory image goes over
 * ({@code VM.receive_memory}: the destination builds a paused domain from it, its disks attached but not
 * activated). If the destination does not take it, the domain here is unpaused and the destination's copy of the
 * metadata removed: the VM runs here as before. Once it has (xenopsd's synchronisation point 1), the domain here is
 * destroyed, its devices released (its disks deactivated) and the VM removed; then the final handshake
 * ({@code VM.receive_memory_complete}) restores the destination's devices (its disks activated there) and unpauses
 * its domain unless the VM left paused. At no time do two unpaused domains of the VM exist, nor is a disk activated
 * on both hosts.
 *
 * <p>With a VDI map (a storage migration to another host: xapi has copied the disks), the metadata sent names the
 * mapped disks, which the destination attaches instead of ours.
 *
 * <p><b>Localhost migration</b>: the domain moves to a new domid here, as xenopsd's renaming does.
 *
 * <p>{@code DEBUG.trigger "refuse-migration" ["on"|"off"]} makes this simulator refuse to receive (a test of a
 * failed migration). Thread-safe.
 */
final class Migrations {
    private static final System.Logger LOG = System.getLogger(Migrations.class.getName());
    private static final String IMAGE_MAGIC = "xapi-java simulated migration image v1";
    /** How long one call to the destination may take (its xenopsd answers at once; a build may be slowed down). */
    private static final Duration REMOTE_CALL_TIMEOUT = Duration.ofMinutes(5);

    private final VmTable vms;
    private final Domains domains;
    private final Planner planner;
    private final MetadataImport metadata;
    private final VbdStorage storage;
    /** Runs a list of atomics with progress ({@code perform_atomics}). */
    private final BiConsumer<List<Atomic>, SimTask> perform;

    private volatile boolean refusing;
    /** The pool's certificate bundle a migration with {@code verify_dest} checks its destination against, or null. */
    private final java.nio.file.Path poolBundle;

    Migrations(
            VmTable vms,
            Domains domains,
            Planner planner,
            MetadataImport metadata,
            VbdStorage storage,
            BiConsumer<List<Atomic>, SimTask> perform,
            java.nio.file.Path poolBundle) {
        this.poolBundle = poolBundle;
        this.storage = storage;
        this.vms = vms;
        this.domains = domains;
        this.planner = planner;
        this.metadata = metadata;
        this.perform = perform;
    }

    void refuse(boolean on) {
        refusing = on;
    }

    // ------------------------------------------------------------------------------------------- sender

    void send(Operation.VmMigrate m, SimTask t) {
        String id = m.vm();
        boolean wasPaused = vms.powerState(id) == PowerState.Paused;
        if (m.localhost()) {
            moveLocally(id, wasPaused, m.vdiMap(), m.vifMap(), t);
            return;
        }
        String image = image(id);
        URI url = URI.create(m.url());
        javax.net.ssl.SSLContext tls = "https".equalsIgnoreCase(url.getScheme())
                ? remote(() -> org.xapijava.xenopsd.internal.MigrationTls.context(m.verifyDest(), poolBundle))
                : null;
        try (XenopsClient remote = XenopsClient.overHttp(url, REMOTE_CALL_TIMEOUT, tls)) {
            LOG.log(
                    System.Logger.Level.INFO,
                    "VM.migrate " + id + ": metadata to " + URI.create(m.url()).getHost());
            boolean paused = false;
            try {
                remote(() -> remote.vmImportMetadata(t.dbg, metadata.exportConfiguration(id, m.vdiMap(), m.vifMap())));
                t.checkCancelling();
                if (!wasPaused) {
                    perform.accept(List.of(new Atomic.VmPause(id)), t);
                    paused = true;
                }
                t.prohibitCancellation(); // the memory is on its way: no going back from here but a failure
                remote(() -> {
                    remote.vmReceiveMemory(t.dbg, id, image);
                    return null;
                });
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "VM.migrate " + id + ": the destination did not take it: " + e);
                // cancelled, or the destination did not take the domain: it goes on running here
                if (paused) perform.accept(List.of(new Atomic.VmUnpause(id)), t);
                try {
                    remote.vmRemove(t.dbg, id);
                } catch (RuntimeException ignored) {
                    // unreachable, or it still holds a domain it will clean up itself
                }
                throw e;
            }
            // synchronisation point: the destination holds the domain; ours goes, with its devices
            List<Atomic> release = new ArrayList<>(planner.atomicsOf(new Operation.VmPoweroff(id, null)));
            release.add(new Atomic.VmRemove(id));
            perform.accept(release, t);
            remote(() -> {
                remote.vmReceiveMemoryComplete(t.dbg, id, !wasPaused);
                return null;
            });
        }
    }

    /** A call to the destination; a failure that is not xenopsd's own error becomes {@code Internal_error}. */
    private static <T> T remote(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (XenopsError e) {
            throw e;
        } catch (RuntimeException e) {
            throw XenopsError.internalError("VM.migrate: the destination failed: " + e.getMessage());
        }
    }

    /**
     * A localhost migration: the domain moves to a new domid with the guest's disk I/O held (its domain paused). Each
     * attached VBD's datapath moves to the new domain ({@code vbd/<new domid>/<name>}); a VBD whose disk
     * {@code vdiMap} maps is switched to the mapped disk: its old datapath released first (the storage layer ends its
     * mirror there), then the new disk attached and activated. If that fails, the VBD goes back to its old disk and
     * the migration fails with the VM running on its old disks.
     */
    private void moveLocally(
            String id, boolean wasPaused, Map<String, String> vdiMap, Map<String, Vif.Network> vifMap, SimTask t) {
        if (!wasPaused) perform.accept(List.of(new Atomic.VmPause(id)), t);
        try {
            storage.withGuestStopped(id, () -> {
                int from = vms.domainExn(id).domid();
                int[] fresh = {0};
                vms.update(id, e -> {
                    fresh[0] = vms.allocateDomid();
                    return e;
                });
                int to = fresh[0];
                List<Vbd> before = vms.vmExn(id).vbds();
                List<Vbd> after = new ArrayList<>();
                for (Vbd vbd : before) {
                    Vbd moved = vbd.backend() instanceof Disk.Vdi v && vdiMap.containsKey(v.srAndLocation())
                            ? vbd.withBackend(new Disk.Vdi(vdiMap.get(v.srAndLocation())))
                            : vbd;
                    after.add(moved);
                }
                List<Vbd> done = new ArrayList<>();
                try {
                    for (int i = 0; i < before.size(); i++) {
                        storage.move(t.dbg, from, to, before.get(i), after.get(i));
                        done.add(before.get(i));
                    }
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "VM.migrate " + id + " (localhost): back to its disks: " + e);
                    for (int i = done.size() - 1; i >= 0; i--) {
                        try {
                            storage.move(t.dbg, to, from, after.get(i), before.get(i));
                        } catch (RuntimeException again) {
                            e.addSuppressed(again);
                        }
                    }
                    throw e;
                }
                List<Vif> vifs = MetadataImport.remapVifs(vms.vmExn(id).vifs(), vifMap);
                vms.update(
                        id,
                        e -> e.withVbds(after)
                                .withVifs(vifs)
                                .withDomain(e.domain().withDomid(to)));
                for (Vbd vbd : after) vms.signalVbd(vbd.id());
                for (Vif vif : vifs) vms.signalVif(vif.id());
                vms.signalVm(id);
            });
        } finally {
            if (!wasPaused) perform.accept(List.of(new Atomic.VmUnpause(id)), t);
        }
    }

    /** The simulated memory image: what the destination's domain takes over from ours. */
    private String image(String id) {
        Domain d = vms.domainExn(id);
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("vm", id);
        kv.put("vcpus", Integer.toString(d.vcpus()));
        kv.put("shadow", Double.toString(d.shadowMultiplier()));
        kv.put("dynamic_min", Long.toString(d.memoryDynamicMin()));
        kv.put("dynamic_max", Long.toString(d.memoryDynamicMax()));
        StringBuilder b = new StringBuilder(IMAGE_MAGIC).append('\n');
        kv.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
        return b.toString();
    }

    // ------------------------------------------------------------------------------------------- receiver

    void receive(Operation.VmReceiveMemory r, SimTask t) {
        String id = r.vm();
        if (refusing) throw XenopsError.internalError("VM_receive_memory: this host refuses migrations");
        Map<String, String> image = parse(id, r.image());
        List<Atomic> atoms = new ArrayList<>();
        atoms.add(new Atomic.VmCreate(id));
        atoms.add(new Atomic.VmBuild(id, false));
        // the disks attached only: the sender still has them activated until it has released its domain
        for (Vbd vbd : vms.vmExn(id).vbds()) atoms.add(new Atomic.VbdAttach(vbd.id()));
        perform.accept(atoms, t);
        vms.updateDomain(
                id,
                d -> d.withVcpus(Integer.parseInt(image.get("vcpus")))
                        .withShadowMultiplier(Double.parseDouble(image.get("shadow")))
                        .withMemoryDynamicRange(
                                Long.parseLong(image.get("dynamic_min")), Long.parseLong(image.get("dynamic_max"))));
        // the domain is whole: survivable, and paused until the sender's final handshake
        perform.accept(List.of(new Atomic.VmSetDomainActionRequest(id, null)), t);
        vms.signalVm(id);
    }

    /**
     * The final handshake (xenopsd's synchronisation point 3, the sender's all-clear: its domain and datapaths are
     * gone): the devices restored (disks activated and plugged, VIFs, device model), then the domain unpaused unless
     * it was paused when it left. A failure leaves no domain here (xenopsd's clean-up of the received VM).
     */
    void complete(String id, boolean unpause, SimTask t) {
        List<Atomic> atoms = new ArrayList<>(planner.atomicsOf(new Operation.VmRestoreDevices(id)));
        if (unpause) atoms.add(new Atomic.VmUnpause(id));
        try {
            perform.accept(atoms, t);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "VM.receive_memory_complete " + id + ": cleaning up: " + e);
            List<Atomic> clean = new ArrayList<>(planner.atomicsOf(new Operation.VmPoweroff(id, null)));
            clean.add(new Atomic.VmRemove(id));
            try {
                perform.accept(clean, t);
            } catch (RuntimeException again) {
                LOG.log(System.Logger.Level.WARNING, "VM.receive_memory_complete " + id + ": clean-up: " + again);
            }
            throw e;
        }
    }

    private static Map<String, String> parse(String id, String image) {
        String[] lines = image.split("\n");
        if (lines.length < 2 || !lines[0].equals(IMAGE_MAGIC) || !lines[1].equals("vm=" + id)) {
            throw XenopsError.internalError("VM_receive_memory: not a memory image of VM " + id);
        }
        Map<String, String> kv = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int eq = lines[i].indexOf('=');
            if (eq > 0) kv.put(lines[i].substring(0, eq), lines[i].substring(eq + 1));
        }
        for (String k : List.of("vcpus", "shadow", "dynamic_min", "dynamic_max")) {
            if (!kv.containsKey(k)) throw XenopsError.internalError("VM_receive_memory: the image lacks " + k);
        }
        return kv;
    }
}
