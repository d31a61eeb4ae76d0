package org.xapijava.xenopsd;

import java.util.List;
import java.util.Map;

/**
 * The calls of xenopsd's interface that VM lifecycle needs: {@code XenopsAPI} in
 * {@code ocaml/xapi-idl/xen/xenops_interface.ml}. One Java method per wire call (its wire name is given on each
 * method); the first parameter is always {@code dbg}, xenopsd's {@code debug_info} (xapi passes its task ref
 * and tracing context).
 *
 * <p>Calls returning a task id start the work and return at once: follow the task with {@link #taskStat} (or wait
 * for a {@code Task} id in {@link #updatesGet}), and {@link #taskDestroy} it when done.
 *
 * <p>Every method may throw {@link XenopsError} (an error answered by xenopsd),
 * {@link XenopsUnavailableException} (the daemon is not reachable or did not answer in time) or
 * {@link XenopsProtocolException} (an answer that makes no sense). Implementations are thread-safe.
 */
public interface Xenops {

    // ------------------------------------------------------------------------------------------- daemon, host

    /** {@code query}: name, vendor, version, features and the instance id of this daemon run. */
    Query query(String dbg);

    /** {@code HOST.stat}. */
    HostStat hostStat(String dbg);

    /** {@code HOST.get_total_memory_mib}. */
    long hostTotalMemoryMib(String dbg);

    /** {@code HOST.get_console_data}. */
    String hostConsoleData(String dbg);

    /** {@code HOST.send_debug_keys}: the keys sent to the hypervisor's debug console. */
    void hostSendDebugKeys(String dbg, String keys);

    // ------------------------------------------------------------------------------------------- VM

    /**
     * {@code VM.import_metadata}: adds or replaces the VM and its devices (VBDs, VIFs, ...) from the JSON text of a
     * {@code Metadata.t} ({@link Metadata#toJson()}).
     *
     * @return the VM id
     */
    String vmImportMetadata(String dbg, String metadataJson);

    /** {@code VM.import_metadata} with {@code md.toJson()}. */
    default String vmImportMetadata(String dbg, Metadata md) {
        return vmImportMetadata(dbg, md.toJson());
    }

    /**
     * {@code VM.import_metadata_async}: as {@link #vmImportMetadata}, queued behind the VM's other operations.
     *
     * @return the task id (the task has no result)
     */
    String vmImportMetadataAsync(String dbg, String metadataJson);

    /** {@code VM.export_metadata}: the JSON text of the VM's {@code Metadata.t} ({@link Metadata#fromJson}). */
    String vmExportMetadata(String dbg, String vmId);

    /** {@code VM.add}: registers a VM (no devices). @return the VM id */
    String vmAdd(String dbg, Vm vm);

    /** {@code VM.remove}: forgets a VM that has no domain, with its devices. */
    void vmRemove(String dbg, String vmId);

    /**
     * {@code VM.start}: creates the domain, builds it, plugs its disks (read-write first) and NICs, starts its
     * device model, and leaves it <em>paused</em> ({@link #vmUnpause} runs it). The wire parameter is named
     * {@code paused}, but xenopsd uses it as the {@code force} flag of the build.
     *
     * @return the task id
     */
    String vmStart(String dbg, String vmId, boolean force);

    /**
     * {@code VM.shutdown}: with a delay, a clean shutdown (the guest is asked and given {@code delay} seconds);
     * with {@code null}, a hard shutdown. The VM's {@code on_shutdown} actions do not apply: it ends Halted.
     *
     * @return the task id
     */
    String vmShutdown(String dbg, String vmId, Double delayOrNull);

    /** {@code VM.reboot}: clean (with a delay) or hard ({@code null}) reboot. @return the task id */
    String vmReboot(String dbg, String vmId, Double delayOrNull);

    /** {@code VM.suspend}: saves the domain's memory to {@code disk} and destroys the domain. @return the task id */
    String vmSuspend(String dbg, String vmId, Disk disk);

    /** {@code VM.resume}: restores a suspended VM from {@code disk}, left paused. @return the task id */
    String vmResume(String dbg, String vmId, Disk disk);

    /**
     * {@code VM.migrate}: sends the running VM to the xenopsd behind {@code url} (the destination host's xapi,
     * {@code http(s)://<address>/services/xenops?session_id=...}); at the end the VM is gone from here. With
     * {@code localhostMigration} the domain moves to a new domid on this host. Each VBD whose disk is
     * {@code VDI "<sr>/<location>"} named by a key of {@code vdiMap} uses the disk of its value afterwards (xapi's
     * storage migration; on a localhost migration the new domain attaches the mapped disks and the old one releases
     * its own). Each VIF whose device ({@code snd vif.id}, e.g. {@code "0"}) is a key of {@code vifMap} is on the
     * network of its value afterwards (xenopsd's {@code remap_vif}: xapi gives the bridges of the destination's
     * networks). With {@code verifyDest}, over an {@code https} URL, the destination's certificate is checked against
     * the pool's (a move within the pool), else not (to another pool). @return the task id
     */
    String vmMigrate(
            String dbg,
            String vmId,
            String url,
            boolean localhostMigration,
            java.util.Map<String, String> vdiMap,
            java.util.Map<String, Vif.Network> vifMap,
            boolean verifyDest);

    /** {@code VM.migrate} without a {@code vdi_map}, {@code vif_map} or {@code verify_dest}. */
    default String vmMigrate(String dbg, String vmId, String url, boolean localhostMigration) {
        return vmMigrate(dbg, vmId, url, localhostMigration, java.util.Map.of(), java.util.Map.of(), false);
    }

    /**
     * The receiving end of a migration (the simulator's stand-in for xenopsd's {@code /migrate/mem} stream): builds
     * a paused domain of the VM, whose metadata was imported, from the sender's memory {@code image}. Returns once
     * done (the sender's synchronisation point).
     */
    void vmReceiveMemory(String dbg, String vmId, String image);

    /**
     * The sender's final handshake of a migration, once its domain and datapaths are gone: the received domain's
     * devices restored (disks activated), then unpaused when {@code unpause}. Returns once done.
     */
    void vmReceiveMemoryComplete(String dbg, String vmId, boolean unpause);

    /** {@code VM.pause}. @return the task id */
    String vmPause(String dbg, String vmId);

    /** {@code VM.unpause}. @return the task id */
    String vmUnpause(String dbg, String vmId);

    /**
     * {@code VM.set_xsdata}: replaces what the guest's xenstore holds under {@code vm-data/} and {@code FIST/} by the
     * keys of {@code xsdata} under those prefixes (others are ignored). @return the task id
     */
    String vmSetXsdata(String dbg, String vmId, Map<String, String> xsdata);

    /**
     * {@code VM.set_vcpus}: hot-plugs or unplugs vCPUs so that {@code vcpus} are online; the task fails with
     * {@code Invalid_vcpus vcpu_max} unless {@code 0 < vcpus <= vcpu_max}. @return the task id
     */
    String vmSetVcpus(String dbg, String vmId, int vcpus);

    /** {@code VM.set_shadow_multiplier}: {@code Unimplemented} for a PV domain. @return the task id */
    String vmSetShadowMultiplier(String dbg, String vmId, double multiplier);

    /**
     * {@code VM.set_memory_dynamic_range}: the running domain's new range, in bytes; its balloon target follows
     * (the wire parameters are {@code minimum} and {@code maximum}). @return the task id
     */
    String vmSetMemoryDynamicRange(String dbg, String vmId, long min, long max);

    /** {@code VM.request_rdp}: asks the guest agent to switch remote desktop on or off. @return the task id */
    String vmRequestRdp(String dbg, String vmId, boolean enabled);

    /**
     * {@code VM.run_script}: has the guest agent run {@code script}; the task's result is {@code {"rc", "stdout",
     * "stderr"}}. @return the task id
     */
    String vmRunScript(String dbg, String vmId, String script);

    /** {@code VM.s3suspend}: asks the guest to enter ACPI S3. @return the task id */
    String vmS3suspend(String dbg, String vmId);

    /** {@code VM.s3resume}: wakes a guest from ACPI S3. @return the task id */
    String vmS3resume(String dbg, String vmId);

    /** {@code VM.stat}. */
    VmStat vmStat(String dbg, String vmId);

    /** {@code VM.exists}. */
    boolean vmExists(String dbg, String vmId);

    /** {@code VM.list}: every VM xenopsd knows, with its state. */
    List<VmStat> vmList(String dbg);

    // ------------------------------------------------------------------------------------------- VBD

    /** {@code VBD.add}. @return the VBD id */
    DeviceId vbdAdd(String dbg, Vbd vbd);

    /** {@code VBD.plug}: attaches the disk to the running domain. @return the task id */
    String vbdPlug(String dbg, DeviceId id);

    /** {@code VBD.unplug}: detaches it ({@code force}: without the guest's cooperation). @return the task id */
    String vbdUnplug(String dbg, DeviceId id, boolean force);

    /** {@code VBD.eject}: empties a CD drive. @return the task id */
    String vbdEject(String dbg, DeviceId id);

    /** {@code VBD.insert}: puts {@code disk} in an empty CD drive. @return the task id */
    String vbdInsert(String dbg, DeviceId id, Disk disk);

    /** {@code VBD.stat}. */
    VbdStat vbdStat(String dbg, DeviceId id);

    /** {@code VBD.list}: the VM's VBDs with their states. */
    List<VbdStat> vbdList(String dbg, String vmId);

    /** {@code VBD.remove}: forgets an unplugged VBD. */
    void vbdRemove(String dbg, DeviceId id);

    // ------------------------------------------------------------------------------------------- VIF

    /** {@code VIF.add}. @return the VIF id */
    DeviceId vifAdd(String dbg, Vif vif);

    /** {@code VIF.plug}. @return the task id */
    String vifPlug(String dbg, DeviceId id);

    /** {@code VIF.unplug}. @return the task id */
    String vifUnplug(String dbg, DeviceId id, boolean force);

    /**
     * {@code VIF.move}: the VIF's backend becomes {@code network}, in xenopsd's record and, when plugged, in the
     * domain. @return the task id
     */
    String vifMove(String dbg, DeviceId id, Vif.Network network);

    /** {@code VIF.set_locking_mode}. @return the task id */
    String vifSetLockingMode(String dbg, DeviceId id, Vif.LockingMode mode);

    /** {@code VIF.set_ipv4_configuration}. @return the task id */
    String vifSetIpv4Configuration(String dbg, DeviceId id, Vif.IpConfig config);

    /** {@code VIF.set_ipv6_configuration}. @return the task id */
    String vifSetIpv6Configuration(String dbg, DeviceId id, Vif.IpConfig config);

    /** {@code VIF.stat}. */
    VifStat vifStat(String dbg, DeviceId id);

    /** {@code VIF.list}. */
    List<VifStat> vifList(String dbg, String vmId);

    /** {@code VIF.remove}. */
    void vifRemove(String dbg, DeviceId id);

    // ------------------------------------------------------------------------------------------- Task

    /** {@code Task.stat}. */
    TaskInfo taskStat(String dbg, String taskId);

    /**
     * {@code Task.cancel}: asks the task to stop at its next cancellation point (it then fails with
     * {@code Cancelled task_id}); a task in a non-cancellable section is not affected.
     */
    void taskCancel(String dbg, String taskId);

    /** {@code Task.destroy}: forgets the task (a running task carries on). */
    void taskDestroy(String dbg, String taskId);

    /** {@code Task.destroy_on_finish}: the task is destroyed as soon as it has finished. */
    void taskDestroyOnFinish(String dbg, String taskId);

    /** {@code Task.list}. */
    List<TaskInfo> taskList(String dbg);

    // ------------------------------------------------------------------------------------------- UPDATES

    /**
     * {@code UPDATES.get}: the ids that changed after event {@code lastIdOrNull} ({@code null}: from the start),
     * waiting until there is at least one or {@code timeoutSecondsOrNull} seconds have passed ({@code null}: wait
     * for ever; an empty answer then never comes back).
     */
    Updates updatesGet(String dbg, Integer lastIdOrNull, Integer timeoutSecondsOrNull);

    /** {@code UPDATES.last_id}: the id of the newest event. */
    int updatesLastId(String dbg);

    /**
     * {@code UPDATES.inject_barrier}: records barrier {@code id} carrying the VM's ids that have changed; it is
     * returned by {@link #updatesGet} until removed.
     */
    void updatesInjectBarrier(String dbg, String vmId, int id);

    /** {@code UPDATES.remove_barrier}. */
    void updatesRemoveBarrier(String dbg, int id);

    /** {@code UPDATES.refresh_vm}: reports the VM and all its devices as changed. */
    void updatesRefreshVm(String dbg, String vmId);

    // ------------------------------------------------------------------------------------------- DEBUG

    /** {@code DEBUG.trigger}: a backend-specific test hook (see the simulator's documentation). */
    void debugTrigger(String dbg, String cmd, List<String> args);

    /**
     * Simulator extension {@code SIM.xenstore_write}: writes {@code value} at {@code path} (under {@code control/})
     * of the VM's domain, as a real xapi writes the guest's xenstore itself (VM.sysprep); {@code Does_not_exist}
     * without a domain.
     */
    void xenstoreWrite(String dbg, String vmId, String path, String value);

    /**
     * Simulator extension {@code SIM.xenstore_read}: the value at {@code path} of the VM's domain ({@code ""} for the
     * domain itself), or null when it, or the domain, is missing.
     */
    String xenstoreRead(String dbg, String vmId, String path);
}
