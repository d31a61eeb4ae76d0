package org.xapijava.xenopsd.sim;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.XenopsError;

/**
 * What xenopsd asks of storage for the VBDs it plugs ({@code ocaml/xenopsd/lib/storage.ml}, used by the Xen
 * backend's {@code VBD.plug/unplug/insert/eject} and {@code VM.destroy}): a VBD whose disk is {@code VDI "sr/vdi"}
 * is attached ({@code VDI.attach3}, with {@code read_write} from the VBD's mode) then activated
 * ({@code VDI.activate3}: the storage layer activates in the mode of the attach) through datapath
 * {@code vbd/<domid>/<vbd-name>} for {@code vm = "<domid>"}; unplugging, ejecting and destroying the domain free the
 * datapath with {@code DP.destroy} (allow_leak false), whose errors are logged and ignored as xenopsd does. An
 * activation that fails frees its datapath at once, so nothing is left half attached. {@code Local} disks and empty
 * drives need no storage.
 *
 * <p>Without a storage socket ({@link #none()}) every call is a no-op: the simulator only records the disks, as it
 * did before it had a storage client. The backends the storage service answered are kept per datapath
 * ({@link #attached()}), as xenopsd keeps them in its private xenstore keys. Thread-safe.
 */
final class VbdStorage implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VbdStorage.class.getName());

    private final StorageClient client;
    private final Map<String, Object> backends = new ConcurrentHashMap<>();

    private VbdStorage(StorageClient client) {
        this.client = client;
    }

    static VbdStorage none() {
        return new VbdStorage(null);
    }

    static VbdStorage at(Path storageSocket) {
        return storageSocket == null ? none() : new VbdStorage(new StorageClient(storageSocket));
    }

    boolean enabled() {
        return client != null;
    }

    /** {@code Storage.id_of}: the datapath of a VBD plugged into domain {@code domid}. */
    static String datapath(int domid, DeviceId vbd) {
        return "vbd/" + domid + "/" + vbd.name();
    }

    /**
     * Attaches and activates {@code disk} for {@code vbd} in domain {@code domid}; a no-op for anything but a
     * {@code VDI} disk. @throws XenopsError {@code Storage_backend_error} (or {@code Internal_error}) with nothing
     * left attached
     */
    void attachAndActivate(String dbg, int domid, Vbd vbd, Disk disk) {
        attach(dbg, domid, vbd, disk);
        activate(dbg, domid, vbd, disk);
    }

    /**
     * xenopsd's {@code VBD_attach}: {@code disk} attached for {@code vbd} in domain {@code domid}, not activated
     * (a migration's receiver attaches while the sender still has the disk activated); a no-op for anything but a
     * {@code VDI} disk or a datapath already attached.
     */
    void attach(String dbg, int domid, Vbd vbd, Disk disk) {
        if (client == null || !(disk instanceof Disk.Vdi v)) return;
        String dp = datapath(domid, vbd.id());
        if (backends.containsKey(dp)) return;
        String[] srVdi = srAndVdi(v);
        Object backend =
                client.attach3(dbg, dp, srVdi[0], srVdi[1], Integer.toString(domid), vbd.mode() == Vbd.Mode.ReadWrite);
        backends.put(dp, backend);
        LOG.log(
                System.Logger.Level.INFO,
                "VBD " + vbd.id().vm() + "." + vbd.id().name() + ": " + dp + " attached " + v.srAndLocation()
                        + (vbd.mode() == Vbd.Mode.ReadWrite ? " RW" : " RO") + ", backend " + backend);
    }

    /** Activates the attached {@code disk}; the datapath destroyed (nothing left attached) when that fails. */
    void activate(String dbg, int domid, Vbd vbd, Disk disk) {
        if (client == null || !(disk instanceof Disk.Vdi v)) return;
        String[] srVdi = srAndVdi(v);
        try {
            client.activate3(dbg, datapath(domid, vbd.id()), srVdi[0], srVdi[1], Integer.toString(domid));
        } catch (XenopsError e) {
            release(dbg, domid, vbd.id());
            throw e;
        }
    }

    /**
     * xenopsd's {@code VBD.epoch_begin}: {@code VDI.epoch_begin} of a {@code VDI} disk for domain {@code domid}
     * (nothing for another disk). @throws XenopsError the storage's failure (the VM start fails)
     */
    void epochBegin(String dbg, int domid, Disk disk, boolean persistent) {
        if (client == null || !(disk instanceof Disk.Vdi v)) return;
        String[] srVdi = srAndVdi(v);
        client.epochBegin(dbg, srVdi[0], srVdi[1], Integer.toString(domid), persistent);
    }

    /** xenopsd's {@code VBD.epoch_end}: {@code VDI.epoch_end} of a {@code VDI} disk. */
    void epochEnd(String dbg, int domid, Disk disk) {
        if (client == null || !(disk instanceof Disk.Vdi v)) return;
        String[] srVdi = srAndVdi(v);
        client.epochEnd(dbg, srVdi[0], srVdi[1], Integer.toString(domid));
    }

    /** {@code Storage.dp_destroy} of the VBD's datapath in domain {@code domid}: errors logged and ignored. */
    void release(String dbg, int domid, DeviceId vbd) {
        if (client == null) return;
        String dp = datapath(domid, vbd);
        backends.remove(dp);
        destroy(dbg, dp);
    }

    /** xenopsd's {@code Storage.dp_destroy}: {@code DP.destroy dp false}, a failure logged and ignored. */
    private void destroy(String dbg, String dp) {
        try {
            client.dpDestroy(dbg, dp, false);
        } catch (XenopsError e) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "DP destroy of " + dp + " returned unexpected exception: " + e.getMessage());
        }
    }

    /**
     * xenopsd's {@code with_disk}: {@code f} given the local path of {@code disk} — a {@code Local} disk's own path;
     * a {@code VDI} attached and activated ({@code write}: read-write) on the task's datapath
     * ({@code xenopsd/task/<task>}) and the datapath destroyed afterwards, whatever happens; {@code null} for a
     * {@code VDI} without a storage service or whose SR gives no local path (its image is then only recorded).
     */
    <T> T withDisk(String dbg, String task, Disk disk, boolean write, java.util.function.Function<Path, T> f) {
        if (disk instanceof Disk.Local l) return f.apply(Path.of(l.path()));
        if (client == null || !(disk instanceof Disk.Vdi v)) return f.apply(null);
        String[] srVdi = srAndVdi(v);
        String dp = "xenopsd/task/" + task;
        try {
            Object backend = client.attach3(dbg, dp, srVdi[0], srVdi[1], "", write);
            client.activate3(dbg, dp, srVdi[0], srVdi[1], "");
            return f.apply(localPath(backend));
        } finally {
            destroy(dbg, dp);
        }
    }

    /** The {@code File} or {@code BlockDevice} path of an attach's backend, or null. */
    private static Path localPath(Object backend) {
        if (!(backend instanceof Map<?, ?> m) || !(m.get("implementations") instanceof java.util.List<?> impls)) {
            return null;
        }
        for (Object i : impls) {
            if (i instanceof java.util.List<?> kv
                    && kv.size() == 2
                    && ("File".equals(kv.get(0)) || "BlockDevice".equals(kv.get(0)))
                    && kv.get(1) instanceof Map<?, ?> args
                    && args.get("path") instanceof String path) {
                return Path.of(path);
            }
        }
        return null;
    }

    /** {@code get_disk_by_name}: {@code "sr/vdi"} split at the first slash. */
    private static String[] srAndVdi(Disk.Vdi v) {
        String s = v.srAndLocation();
        int slash = s.indexOf('/');
        if (slash < 0) {
            throw XenopsError.internalError("Storage_error ([S(Vdi_does_not_exist);S(" + s + ")])");
        }
        return new String[] {s.substring(0, slash), s.substring(slash + 1)};
    }

    /**
     * A localhost migration's move of one VBD from domain {@code from} to domain {@code to} (its VBD {@code old}
     * becoming {@code now}); nothing unless the old datapath is attached. The same disk: the new datapath attached and
     * activated first (the storage layer already has the disk activated), then the old one released. Another disk:
     * the old datapath released first (the storage layer ends the disk's mirror as it deactivates it), then the new
     * disk attached and activated; should that fail the old disk is attached again in domain {@code from}.
     */
    void move(String dbg, int from, int to, Vbd old, Vbd now) {
        if (client == null || !backends.containsKey(datapath(from, old.id()))) return;
        if (old.backend().equals(now.backend())) {
            attachAndActivate(dbg, to, now, now.backend());
            release(dbg, from, old.id());
            return;
        }
        release(dbg, from, old.id());
        try {
            attachAndActivate(dbg, to, now, now.backend());
        } catch (RuntimeException e) {
            try {
                attachAndActivate(dbg, from, old, old.backend());
            } catch (RuntimeException f) {
                e.addSuppressed(f);
            }
            throw e;
        }
    }

    /** Per VM: the simulated guest's disk I/O (read lock) against the switch of its disks (write lock). */
    private final Map<String, java.util.concurrent.locks.ReadWriteLock> guestLocks = new ConcurrentHashMap<>();

    private java.util.concurrent.locks.ReadWriteLock guestLock(String vmId) {
        return guestLocks.computeIfAbsent(vmId, k -> new java.util.concurrent.locks.ReentrantReadWriteLock(true));
    }

    /** The VMs whose domain is paused: their guest issues no disk I/O until unpaused (or gone). */
    private final java.util.Set<String> pausedGuests = new java.util.HashSet<>();

    /**
     * Marks the guest of {@code vmId} paused or not; a guest's I/O waits while it is paused. Call with the guest
     * stopped ({@link #withGuestStopped}) to pause, so that no I/O is under way once it returns.
     */
    void guestPaused(String vmId, boolean paused) {
        synchronized (pausedGuests) {
            if (paused) pausedGuests.add(vmId);
            else pausedGuests.remove(vmId);
            pausedGuests.notifyAll();
        }
    }

    private boolean isPaused(String vmId) {
        synchronized (pausedGuests) {
            return pausedGuests.contains(vmId);
        }
    }

    private void awaitUnpaused(String vmId) {
        synchronized (pausedGuests) {
            while (pausedGuests.contains(vmId)) {
                try {
                    pausedGuests.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw XenopsError.internalError("guest I/O of " + vmId + " interrupted while paused");
                }
            }
        }
    }

    /** Runs {@code r} with the guest of VM {@code vmId} doing no disk I/O (its I/O waits until the end). */
    void withGuestStopped(String vmId, Runnable r) {
        java.util.concurrent.locks.Lock l = guestLock(vmId).writeLock();
        l.lock();
        try {
            r.run();
        } finally {
            l.unlock();
        }
    }

    /**
     * The simulated guest's read ({@code write} false: into {@code buf}) or write (of {@code buf}) at {@code offset}
     * of the disk of VBD {@code vbd}, through the local path of its datapath's backend in the VM's domain.
     */
    void guestIo(
            String vmId, java.util.function.IntSupplier domid, DeviceId vbd, long offset, byte[] buf, boolean write) {
        java.util.concurrent.locks.Lock l = guestLock(vmId).readLock();
        // a paused domain's guest does no I/O: it waits until its domain runs again (or is gone)
        while (true) {
            awaitUnpaused(vmId);
            l.lock();
            if (!isPaused(vmId)) break;
            l.unlock();
        }
        try {
            String dp = datapath(domid.getAsInt(), vbd);
            Object backend = backends.get(dp);
            Path path = backend == null ? null : localPath(backend);
            if (path == null) throw XenopsError.doesNotExist("VBD", vbd.vm() + "." + vbd.name());
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(
                    path, write ? java.nio.file.StandardOpenOption.WRITE : java.nio.file.StandardOpenOption.READ)) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buf);
                long pos = offset;
                while (b.hasRemaining()) {
                    int n = write ? ch.write(b, pos) : ch.read(b, pos);
                    if (n < 0) throw XenopsError.internalError("guest I/O: end of disk " + dp + " at " + pos);
                    pos += n;
                }
                if (write) ch.force(false);
            } catch (java.io.IOException e) {
                throw XenopsError.internalError("guest I/O on " + dp + ": " + e.getMessage());
            }
        } finally {
            l.unlock();
        }
    }

    /** The backend ({@code VDI.attach3}'s answer) of every datapath attached now, by datapath. */
    Map<String, Object> attached() {
        return Map.copyOf(backends);
    }

    @Override
    public void close() {
        if (client != null) client.close();
    }
}
