package org.xapijava.server.forward;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.db.Db;
import org.xapijava.model.Datamodel;
import org.xapijava.model.MessageDef;
import org.xapijava.model.ParamDef;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.Task;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VUSB;
import org.xapijava.model.api.enums.StorageOperations;
import org.xapijava.model.api.enums.VdiOperations;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.XType;

/**
 * Where each message runs, as Xapi's forwarding layer decides it ({@code message_forwarding.ml}): the host a
 * {@code host} argument names ({@code do_op_on ~host}), a host with the SR plugged for {@code VM.import}, the host a
 * running or paused VM is resident on
 * ({@code forward_vm_op}, and for a VBD or VIF its VM's: {@code forward_vbd_op}, {@code forward_vif_op}), the host
 * the lock plan chose for a start or resume ({@code forward_to_suitable_host}: the VM's
 * {@code scheduled_to_be_resident_on}), or the host a task was forwarded to ({@code task.cancel}), a host with the SR plugged for SR operations
 * ({@code forward_sr_op}) and for VDI operations ({@code forward_vdi_op}: the VDI's SR; {@code VDI.copy} a host seeing
 * both SRs), a PBD's host for {@code PBD.plug}/{@code unplug} and the new master for
 * {@code pool.designate_new_master}. Every other
 * message runs where it was called. Immutable, thread-safe.
 */
public final class Placements {
    /** One message's rule: the host that runs it, or null for "here". */
    @FunctionalInterface
    interface Rule {
        String host(Db r, List<Object> args);
    }

    /** Xapi's {@code Host} messages forwarded to the host of their {@code host}/{@code self} argument. */
    static final Set<String> HOST_MESSAGES = Set.of(
            "apply_edition",
            "apply_guest_agent_config",
            "attach_static_vdis",
            "backup_rrds",
            "bugreport_upload",
            "call_extension",
            "call_plugin",
            "cert_distrib_atom",
            "certificate_list",
            "certificate_sync",
            "cleanup_pool_secret",
            "crl_install",
            "crl_list",
            "crl_uninstall",
            "detach_static_vdis",
            "disable",
            "disable_binary_storage",
            "disable_display",
            "disable_external_auth",
            "disable_local_storage_caching",
            "disable_ssh",
            "dmesg",
            "dmesg_clear",
            "enable",
            "enable_binary_storage",
            "enable_display",
            "enable_external_auth",
            "enable_local_storage_caching",
            "enable_ssh",
            "external_auth_set_ldaps",
            "forget_data_source_archives",
            "get_data_sources",
            "get_diagnostic_timing_stats",
            "get_log",
            "get_ntp_servers_status",
            "get_ntp_synchronized",
            "get_sched_gran",
            "get_server_certificate",
            "get_server_localtime",
            "get_servertime",
            "get_sm_diagnostics",
            "get_system_status_capabilities",
            "get_thread_diagnostics",
            "get_tracked_user_agents",
            "ha_disable_failover_decisions",
            "ha_disarm_fencing",
            "ha_join_liveset",
            "ha_release_resources",
            "ha_stop_daemon",
            "ha_wait_for_shutdown_via_statefile",
            "has_extension",
            "install_ca_certificate",
            "install_server_certificate",
            "license_add",
            "license_remove",
            "list_timezones",
            "mxgpu_vf_setup",
            "notify_accept_new_pool_secret",
            "notify_send_new_pool_secret",
            "nvidia_vf_setup",
            "preconfigure_ha",
            "prepare_for_poweroff",
            "query_data_source",
            "reboot",
            "record_data_source",
            "refresh_pack_info",
            "refresh_server_certificate",
            "request_backup",
            "request_config_file_sync",
            "rescan_drivers",
            "reset_server_certificate",
            "restart_agent",
            "send_debug_keys",
            "set_console_idle_timeout",
            "set_hostname_live",
            "set_https_only",
            "set_iscsi_iqn",
            "set_localdb_key",
            "set_max_cstate",
            "set_multipathing",
            "set_ntp_custom_servers",
            "set_ntp_mode",
            "set_numa_affinity_policy",
            "set_sched_gran",
            "set_servertime",
            "set_ssh_auto_mode",
            "set_ssh_enabled_timeout",
            "set_timezone",
            "shutdown",
            "sm_dp_destroy",
            "syslog_reconfigure",
            "uninstall_ca_certificate",
            "update_master",
            "update_pool_secret",
            "write_uefi_certificates_to_disk");

    /** Xapi's {@code VM} messages run on the VM's host while it runs ({@code forward_vm_op}). */
    static final Set<String> VM_RESIDENT = Set.of(
            "add_to_VCPUs_params_live",
            "assert_can_migrate_sender",
            "call_host_plugin",
            "call_plugin",
            "checkpoint",
            "clean_reboot",
            "clean_shutdown",
            "forget_data_source_archives",
            "get_data_sources",
            "hard_reboot",
            "hard_reboot_internal",
            "hard_shutdown",
            "pause",
            "pool_migrate",
            "query_data_source",
            "record_data_source",
            "s3_resume",
            "s3_suspend",
            "send_sysrq",
            "send_trigger",
            "set_VCPUs_number_live",
            "set_memory",
            "set_memory_dynamic_max",
            "set_memory_dynamic_min",
            "set_memory_dynamic_range",
            "set_memory_limits",
            "set_memory_target_live",
            "set_shadow_multiplier_live",
            "set_xenstore_data",
            "shutdown",
            "suspend",
            "sysprep",
            "unpause",
            "wait_memory_target_live");

    /** VBD and VIF messages run on their VM's host while it runs ({@code forward_vbd_op}, {@code forward_vif_op}). */
    static final Set<String> VBD_RESIDENT = Set.of(
            "eject", "insert", "pause", "plug", "unpause", "unplug", "unplug_force", "unplug_force_no_safety_check");

    static final Set<String> VIF_RESIDENT = Set.of(
            "add_ipv4_allowed",
            "add_ipv6_allowed",
            "add_trunks",
            "configure_ipv4",
            "configure_ipv6",
            "move",
            "plug",
            "remove_ipv4_allowed",
            "remove_ipv6_allowed",
            "remove_trunks",
            "set_ipv4_allowed",
            "set_ipv6_allowed",
            "set_locking_mode",
            "set_trunks",
            "unplug",
            "unplug_force");

    /** Network messages run on the host their {@code host} argument names ({@code do_op_on ~host}). */
    static final Set<String> NETWORK_ON_HOST = Set.of("attach", "attach_for_vm", "detach_for_vm");

    /** SR messages run on a host with a plugged PBD, the SR master's first for a shared SR ({@code forward_sr_op}). */
    static final Set<String> SR_ON_PBD_HOST = Set.of(
            StorageOperations.SCAN.wire(), StorageOperations.UPDATE.wire(), "set_name_label", "set_name_description");

    /**
     * VDI messages that run where the VDI's SR is plugged ({@code forward_vdi_op}: the SR's {@code forward_sr_op}),
     * their VDI the first argument.
     */
    static final Set<String> VDI_ON_SR_HOST = Set.of(
            "set_name_label",
            "set_name_description",
            VdiOperations.SET_ON_BOOT.wire(),
            VdiOperations.DESTROY.wire(),
            VdiOperations.SNAPSHOT.wire(),
            VdiOperations.CLONE.wire(),
            "revert",
            VdiOperations.RESIZE.wire(),
            VdiOperations.RESIZE_ONLINE.wire(),
            VdiOperations.FORCE_UNLOCK.wire(),
            VdiOperations.ENABLE_CBT.wire(),
            VdiOperations.DISABLE_CBT.wire(),
            VdiOperations.DATA_DESTROY.wire(),
            VdiOperations.UPDATE.wire(),
            "checksum");

    /** PBD messages run on the PBD's host ({@code do_op_on ~host:(Db.PBD.get_host self)}). */
    static final Set<String> PBD_ON_HOST = Set.of("plug", "unplug");

    private final Map<String, Rule> rules = new HashMap<>();

    public Placements(Datamodel dm) {
        for (MessageDef m : dm.classes().stream()
                .flatMap(c -> c.messages().values().stream())
                .toList()) {
            Rule r = ruleOf(m);
            if (r != null) rules.put(m.wireName(), r);
        }
    }

    private static Rule ruleOf(MessageDef m) {
        return switch (m.cls()) {
            case Host.XAPI_CLASS -> {
                int i = HOST_MESSAGES.contains(m.name()) ? refArg(m, Host.XAPI_CLASS) : -1;
                yield i < 0 ? null : (r, a) -> (String) a.get(i);
            }
            case VM.XAPI_CLASS ->
                switch (m.name()) {
                    case "start_on", "resume_on", "pool_migrate_complete" -> {
                        int i = refArg(m, Host.XAPI_CLASS);
                        yield (r, a) -> (String) a.get(i);
                    }
                    case "start", "resume" -> (r, a) -> scheduledHost(r, (String) a.get(0));
                    // Xapi's forward_vm_op for a live VM; a halted or suspended one goes to a host seeing its disks
                    // (forward_to_suitable_host, whose boot checks migrate_send's own checks make)
                    case "migrate_send" ->
                        (r, a) -> {
                            String vm = (String) a.get(0);
                            String resident = residentHost(r, vm);
                            return resident != null ? resident : disksHost(r, vm);
                        };
                    case "import" -> {
                        int i = refArg(m, SR.XAPI_CLASS);
                        yield (r, a) -> srHost(r, (String) a.get(i));
                    }
                    default -> VM_RESIDENT.contains(m.name()) ? (r, a) -> residentHost(r, (String) a.get(0)) : null;
                };
            case VBD.XAPI_CLASS ->
                VBD_RESIDENT.contains(m.name()) ? (r, a) -> residentHost(r, vbdVm(r, (String) a.get(0))) : null;
            case VIF.XAPI_CLASS ->
                VIF_RESIDENT.contains(m.name()) ? (r, a) -> residentHost(r, vifVm(r, (String) a.get(0))) : null;
            case Network.XAPI_CLASS -> {
                int i = NETWORK_ON_HOST.contains(m.name()) ? refArg(m, Host.XAPI_CLASS) : -1;
                yield i < 0 ? null : (r, a) -> (String) a.get(i);
            }
            case VUSB.XAPI_CLASS ->
                m.name().equals("unplug") ? (r, a) -> residentHost(r, vusbVm(r, (String) a.get(0))) : null;
            case Task.XAPI_CLASS -> m.name().equals("cancel") ? (r, a) -> forwardedTo(r, (String) a.get(0)) : null;
            case SR.XAPI_CLASS -> SR_ON_PBD_HOST.contains(m.name()) ? (r, a) -> srHost(r, (String) a.get(0)) : null;
            case PBD.XAPI_CLASS -> PBD_ON_HOST.contains(m.name()) ? (r, a) -> pbdHost(r, (String) a.get(0)) : null;
            case VDI.XAPI_CLASS -> vdiRule(m);
            // Xapi's Pool.designate_new_master: do_op_on ~host (the new master runs the two-phase commit)
            case Pool.XAPI_CLASS ->
                m.name().equals("designate_new_master") ? (r, a) -> (String) a.get(refArg(m, Host.XAPI_CLASS)) : null;
            default -> null;
        };
    }

    /**
     * Xapi's VDI forwarding: most operations where the VDI's SR is plugged; {@code create} and {@code introduce}
     * where their SR is; {@code list_changed_blocks} by its {@code vdi_to}; {@code copy} on a host that sees both
     * SRs; {@code generate_config} on its host.
     */
    private static Rule vdiRule(MessageDef m) {
        return switch (m.name()) {
            case "create" ->
                (r, a) -> a.get(0) instanceof Map<?, ?> rec && rec.get(VDI.SR.name()) instanceof String sr
                        ? srHost(r, sr)
                        : null;
            case "introduce" -> {
                int i = refArg(m, SR.XAPI_CLASS);
                yield (r, a) -> srHost(r, (String) a.get(i));
            }
            case "list_changed_blocks" -> (r, a) -> srHost(r, vdiSr(r, (String) a.get(1)));
            case "copy" -> {
                int i = refArg(m, SR.XAPI_CLASS);
                yield (r, a) -> hostSeeing(r, vdiSr(r, (String) a.get(0)), (String) a.get(i));
            }
            // VDI.pool_migrate runs on the host of the running VM of the VDI's first VBD (message_forwarding.ml)
            case "pool_migrate" -> (r, a) -> residentHost(r, vdiVm(r, (String) a.get(0)));
            case "generate_config" -> {
                int i = refArg(m, Host.XAPI_CLASS);
                yield (r, a) -> (String) a.get(i);
            }
            default -> VDI_ON_SR_HOST.contains(m.name()) ? (r, a) -> srHost(r, vdiSr(r, (String) a.get(0))) : null;
        };
    }

    private static String vdiSr(Db r, String vdi) {
        return vdi != null && r.exists(VDI.XAPI_CLASS, vdi) ? r.get(vdi, VDI.SR) : null;
    }

    /**
     * {@code forward_sr_multiple_op}: a host with a plugged PBD of both SRs, the master first (null when the
     * destination is NULL or gone: the implementation answers).
     */
    private static String hostSeeing(Db r, String src, String dst) {
        if (src == null || dst == null || !r.exists(SR.XAPI_CLASS, dst)) return srHost(r, src);
        java.util.Set<String> srcHosts = pluggedHosts(r, src);
        java.util.Set<String> both = new java.util.LinkedHashSet<>();
        for (String h : pluggedHosts(r, dst)) if (srcHosts.contains(h)) both.add(h);
        List<String> pools = r.all(Pool.XAPI_CLASS);
        String master = pools.isEmpty() ? null : r.get(pools.get(0), Pool.MASTER);
        if (both.contains(master)) return master;
        if (both.isEmpty()) throw new ApiError(ErrorCodes.SR_HAS_NO_PBDS, dst);
        return both.iterator().next();
    }

    private static java.util.Set<String> pluggedHosts(Db r, String sr) {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        for (String p : r.get(sr, SR.PBDS)) if (r.get(p, PBD.CURRENTLY_ATTACHED)) out.add(r.get(p, PBD.HOST));
        return out;
    }

    /** The index (after the session) of the message's first {@code ref cls} parameter, or -1. */
    private static int refArg(MessageDef m, String cls) {
        List<ParamDef> ps = m.callParams();
        for (int i = 0; i < ps.size(); i++) {
            if (ps.get(i).type() instanceof XType.RefType t && t.cls().equals(cls)) return i;
        }
        return -1;
    }

    /**
     * The host that must run {@code message} with {@code args}, read from {@code r} (after the lock plan marked and
     * reserved); null when it runs here or names no valid host (the implementation then gives the error).
     */
    public String hostFor(String message, Db r, List<Object> args) {
        Rule rule = rules.get(message);
        if (rule == null) return null;
        String host = rule.host(r, args);
        return host != null && r.exists(Host.XAPI_CLASS, host) ? host : null;
    }

    private static String residentHost(Db r, String vm) {
        if (vm == null || !r.exists(VM.XAPI_CLASS, vm)) return null;
        String power = r.get(vm, VM.POWER_STATE);
        if (!power.equals("Running") && !power.equals("Paused")) return null;
        return r.get(vm, VM.RESIDENT_ON);
    }

    /**
     * A host with a plugged PBD of every SR holding a disk of {@code vm} (its VBDs' VDIs and its suspend image), the
     * master first; null (the master answers) when there is none or the VM has no disk.
     */
    private static String disksHost(Db r, String vm) {
        if (vm == null || !r.exists(VM.XAPI_CLASS, vm)) return null;
        java.util.Set<String> hosts = null;
        List<String> vdis = new java.util.ArrayList<>();
        for (String vbd : r.get(vm, VM.VBDS)) if (!r.get(vbd, VBD.EMPTY)) vdis.add(r.get(vbd, VBD.VDI));
        vdis.add(r.get(vm, VM.SUSPEND_VDI));
        for (String vdi : vdis) {
            if (!r.isValid(VDI.XAPI_CLASS, vdi)) continue;
            java.util.Set<String> seeing = pluggedHosts(r, r.get(vdi, VDI.SR));
            if (hosts == null) hosts = seeing;
            else hosts.retainAll(seeing);
        }
        if (hosts == null || hosts.isEmpty()) return null;
        List<String> pools = r.all(Pool.XAPI_CLASS);
        String master = pools.isEmpty() ? null : r.get(pools.get(0), Pool.MASTER);
        return hosts.contains(master) ? master : hosts.iterator().next();
    }

    private static String scheduledHost(Db r, String vm) {
        return r.exists(VM.XAPI_CLASS, vm) ? r.get(vm, VM.SCHEDULED_TO_BE_RESIDENT_ON) : null;
    }

    private static String vbdVm(Db r, String vbd) {
        return r.exists(VBD.XAPI_CLASS, vbd) ? r.get(vbd, VBD.VM) : null;
    }

    private static String vdiVm(Db r, String vdi) {
        if (vdi == null || !r.exists(VDI.XAPI_CLASS, vdi)) return null;
        List<String> vbds = r.get(vdi, VDI.VBDS);
        return vbds.isEmpty() ? null : vbdVm(r, vbds.getFirst());
    }

    private static String vifVm(Db r, String vif) {
        return r.exists(VIF.XAPI_CLASS, vif) ? r.get(vif, VIF.VM) : null;
    }

    private static String vusbVm(Db r, String vusb) {
        return r.exists(VUSB.XAPI_CLASS, vusb) ? r.get(vusb, VUSB.VM) : null;
    }

    /**
     * {@code choose_pbd_for_sr ~consider_unplugged_pbds:false}: the host of a plugged PBD of {@code sr}; for a shared
     * SR only when the master has one (it comes first).
     *
     * @throws ApiError {@code SR_HAS_NO_PBDS [sr]} when there is none
     */
    public static String srHost(Db r, String sr) {
        if (sr == null || !r.exists(SR.XAPI_CLASS, sr)) return null;
        List<String> plugged = r.get(sr, SR.PBDS).stream()
                .filter(p -> r.get(p, PBD.CURRENTLY_ATTACHED))
                .toList();
        if (r.get(sr, SR.SHARED)) {
            List<String> pools = r.all(Pool.XAPI_CLASS);
            String master = pools.isEmpty() ? null : r.get(pools.get(0), Pool.MASTER);
            for (String p : plugged) if (r.get(p, PBD.HOST).equals(master)) return master;
            throw new ApiError(ErrorCodes.SR_HAS_NO_PBDS, sr);
        }
        if (plugged.isEmpty()) throw new ApiError(ErrorCodes.SR_HAS_NO_PBDS, sr);
        return r.get(plugged.get(0), PBD.HOST);
    }

    private static String pbdHost(Db r, String pbd) {
        return r.exists(PBD.XAPI_CLASS, pbd) ? r.get(pbd, PBD.HOST) : null;
    }

    private static String forwardedTo(Db r, String task) {
        return r.exists(Task.XAPI_CLASS, task) ? r.get(task, Task.FORWARDED_TO) : null;
    }
}
