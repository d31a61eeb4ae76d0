package org.xapijava.server.ops;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.DbReader;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMAppliance;
import org.xapijava.model.api.VUSB;
import org.xapijava.model.types.Refs;
import org.xapijava.server.DbValues;
import org.xapijava.server.ops.Locks.Retry;

/**
 * What Xapi's forwarding layer ({@code message_forwarding.ml}, and the few implementations in
 * {@code xapi_pool.ml}/{@code xapi_host.ml} that wrap a whole message the same way) checks and marks
 * around one message, as data: prechecks, then markings in order (each nested in the previous one),
 * then the message, then, on success, the allowed_operations it refreshes. {@link Locks#withPlan}
 * runs these plans; {@link #TABLE} lists them all. Immutable.
 *
 * @param message wire name
 * @param guard   when the markings apply (else the message runs unmarked, refreshes still run)
 * @param checks  prechecks, before any marking
 * @param steps   markings, outermost first
 * @param after   refreshes after a successful call
 */
public record LockPlan(String message, Guard guard, List<Check> checks, List<Step> steps, List<Refresh> after) {

    public LockPlan {
        checks = List.copyOf(checks);
        steps = List.copyOf(steps);
        after = List.copyOf(after);
    }

    /** How a step finds its object from the call's arguments (after the session). */
    public record Target(Kind kind, int arg, String cls, String field) {
        public enum Kind {
            /** the ref in argument {@code arg} */
            ARG,
            /** field {@code field} of the {@code cls} object whose ref is argument {@code arg} */
            FIELD_OF_ARG,
            /** field {@code field} of the constructor record in argument {@code arg} */
            RECORD_FIELD,
            /** the VM of the first VBD of the VDI in argument {@code arg} */
            VM_OF_VDI_ARG,
            /** the pool */
            POOL,
            /** the host chosen by the forwarding layer: the VM's scheduled host, else this host */
            CHOSEN_HOST
        }

        public static Target arg(int i) {
            return new Target(Kind.ARG, i, null, null);
        }

        public static Target fieldOf(int i, String cls, String field) {
            return new Target(Kind.FIELD_OF_ARG, i, cls, field);
        }

        public static Target recordField(int i, String field) {
            return new Target(Kind.RECORD_FIELD, i, null, field);
        }

        /** The object's ref, or {@link Refs#NULL} when it cannot be found. */
        String resolve(DbReader r, String poolRef, List<Object> args) {
            return switch (kind) {
                case ARG -> (String) args.get(arg);
                case FIELD_OF_ARG -> {
                    String ref = (String) args.get(arg);
                    yield r.isValid(cls, ref) ? DbValues.str(r, cls, ref, field) : Refs.NULL;
                }
                case RECORD_FIELD -> {
                    Object v = args.get(arg) instanceof Map<?, ?> m ? m.get(field) : null;
                    yield v instanceof String s ? s : Refs.NULL;
                }
                case VM_OF_VDI_ARG -> {
                    String vdi = (String) args.get(arg);
                    List<String> vbds = r.isValid(VDI.XAPI_CLASS, vdi) ? r.get(vdi, VDI.VBDS) : List.of();
                    yield vbds.isEmpty() || !r.isValid(VBD.XAPI_CLASS, vbds.getFirst())
                            ? Refs.NULL
                            : r.get(vbds.getFirst(), VBD.VM);
                }
                case POOL -> poolRef;
                case CHOSEN_HOST -> throw new IllegalStateException("the chosen host is resolved by the host step");
            };
        }
    }

    /** When the markings apply. */
    public record Guard(Kind kind, int arg) {
        public enum Kind {
            ALWAYS,
            ARG_TRUE,
            ARG_TRUE_AND_VM_NOT_TEMPLATE
        }

        public static final Guard ALWAYS = new Guard(Kind.ALWAYS, -1);

        boolean holds(DbReader r, List<Object> args) {
            return switch (kind) {
                case ALWAYS -> true;
                case ARG_TRUE -> Boolean.TRUE.equals(args.get(arg));
                case ARG_TRUE_AND_VM_NOT_TEMPLATE ->
                    Boolean.TRUE.equals(args.get(arg))
                            && !(r.isValid(VM.XAPI_CLASS, (String) args.get(0))
                                    && DbValues.bool(r, "VM", (String) args.get(0), "is_a_template"));
            };
        }
    }

    /** A precheck of the forwarding layer (before any marking). */
    public sealed interface Check {}

    /** {@code HOST_EVACUATE_IN_PROGRESS [host]} when the host in argument {@code arg} is being evacuated. */
    public record HostNotEvacuating(int arg) implements Check {}

    /**
     * The VM in argument {@code arg} must be in one of {@code states}, else
     * {@code VM_BAD_POWER_STATE [vm, expected, actual]}, the states spelt as Xapi spells them at that
     * place ({@code lowercase}) and joined by {@code separator}.
     */
    public record VmPowerState(int arg, List<String> states, boolean lowercase, String separator) implements Check {}

    /** Every VM with a VBD of the VDI in argument {@code arg} must be halted ({@code ensure_vdi_not_on_running_vm}). */
    public record VdiNotOnRunningVm(int arg) implements Check {}

    /** The VDI in argument {@code arg} must have a VBD ({@code VDI_NEEDS_VM_FOR_MIGRATE [vdi]}). */
    public record VdiHasVbd(int arg) implements Check {}

    /**
     * {@code Cpuid_helpers.assert_vm_is_compatible}: unless the options map in argument {@code optionsArg} says
     * {@code force=true}, the VM in argument {@code vmArg} must be compatible with the CPU of the host in argument
     * {@code hostArg} ({@code VM_INCOMPATIBLE_WITH_THIS_HOST}).
     */
    public record VmCompatibleWithHost(int vmArg, int hostArg, int optionsArg) implements Check {}

    /** A marking (or reservation) held while the message runs. */
    public sealed interface Step {}

    /**
     * Marks one object with {@code op}, waiting per {@code retry}. {@code strictUnlessForceOption} is
     * the argument index of an options map whose {@code force=true} makes the VM check lenient
     * (VM.pool_migrate), or -1.
     */
    public record Mark(String cls, Target target, String op, Retry retry, int strictUnlessForceOption)
            implements Step {}

    /** {@code with_sr_andor_vdi}: marks the SR and the VDI (either may be absent) in one attempt. */
    public record MarkSrVdi(Target sr, String srOp, Target vdi, String vdiOp) implements Step {}

    /**
     * Marks every VBD of the VM in argument {@code vmArg} ({@code with_vbds_marked}, FAIL_QUICKLY, all
     * or none).
     */
    public record MarkVbds(int vmArg, String op) implements Step {}

    /**
     * Marks every VIF of the VM ({@code with_vifs_marked}); a VIF that cannot be marked fails the call
     * with {@code OPERATION_NOT_ALLOWED ["Failed to lock all VIFs"]}.
     */
    public record MarkVifs(int vmArg, String op) implements Step {}

    /**
     * Reserves a host for the VM in argument {@code vmArg}: marks the host with {@code op} and sets
     * the VM's {@code scheduled_to_be_resident_on}, both cleared after ({@code allocate_vm_to_host},
     * {@code finally_clear_host_operation}, {@code clear_reservations}). With {@link Target.Kind#CHOSEN_HOST}
     * a VM already scheduled keeps its host and no host operation is added ({@code forward_to_suitable_host}).
     */
    public record ReserveHost(int vmArg, Target host, String op) implements Step {}

    /**
     * {@code VM.migrate_send}'s reservation of its destination ({@code Live_intrapool}: {@code allocate_vm_to_host
     * ~host_op}): when the VM in argument {@code vmArg} is live and the {@code host} of the {@code dest} map in
     * argument {@code destArg} is a host of this pool, as {@link ReserveHost} on that host; else nothing (a cross-pool
     * move reserves on the other pool, a halted VM nothing).
     */
    public record ReserveMigrationDest(int vmArg, int destArg, String op) implements Step {}

    /**
     * {@code reserve_memory_for_vm}'s {@code assert_can_boot_here} (no CPU check) of the VM in argument
     * {@code vmArg} on the host in argument {@code hostArg}, before its reservation: {@code HOST_NOT_LIVE},
     * {@code HOST_DISABLED}, {@code VM_REQUIRES_SR}, {@code VM_REQUIRES_NETWORK}, {@code HOST_NOT_ENOUGH_FREE_MEMORY},
     * ...
     */
    public record AssertCanBootOn(int vmArg, int hostArg) implements Step {}

    /**
     * {@code loadbalance_host_operation}: marks this host with {@code op}, waiting per the standard policy.
     */
    public record MarkChosenHost(String op) implements Step {}

    /** Marks the SR of the PBD in argument {@code arg} with {@code unplug} after checking no VDI of it is busy. */
    public record PbdUnplug(int arg) implements Step {}

    /** Cancels the tasks doing {@code ops} on the VM in argument {@code vmArg} and waits for them to end. */
    public record CancelVmOps(int vmArg, List<String> ops) implements Step {}

    /** What is recomputed after a successful call. */
    public record Refresh(Kind kind, Target target) {
        public enum Kind {
            /** the VM, and the VBDs, their VDIs and the VIFs ({@code update_vbd_operations}, {@code update_vif_operations}) */
            VM_AND_DEVICES,
            /** the VM only */
            VM,
            /** the VBD and its VDI ({@code update_vbd_and_vdi_operations}) */
            VBD_AND_VDI,
            /** a host */
            HOST
        }
    }

    // declared before TABLE: static fields initialize in text order
    private static final Target A0 = Target.arg(0);
    private static final Target POOL = new Target(Target.Kind.POOL, -1, null, null);
    private static final Target CHOSEN = new Target(Target.Kind.CHOSEN_HOST, -1, null, null);

    /** Every marking of Xapi's forwarding layer for the messages of the datamodel, by wire name. */
    public static final Map<String, LockPlan> TABLE = table();

    private static Map<String, LockPlan> table() {
        Map<String, LockPlan> t = new LinkedHashMap<>();
        // VM ---------------------------------------------------------------------------------
        vm(t, "VM.destroy", "destroy");
        put(
                t,
                new LockPlan(
                        "VM.set_is_a_template",
                        new Guard(Guard.Kind.ARG_TRUE, 1),
                        List.of(),
                        List.of(mark("VM", A0, "make_into_template")),
                        List.of()));
        put(
                t,
                new LockPlan(
                        "VM.set_is_default_template",
                        new Guard(Guard.Kind.ARG_TRUE_AND_VM_NOT_TEMPLATE, 1),
                        List.of(),
                        List.of(mark("VM", A0, "make_into_template")),
                        List.of(refresh(Refresh.Kind.VM, A0))));
        for (String m : List.of(
                "clone",
                "snapshot",
                "checkpoint",
                "copy",
                "csvm",
                "query_services",
                "send_trigger",
                "send_sysrq",
                "get_boot_record")) {
            vm(t, "VM." + m, m);
        }
        put(
                t,
                new LockPlan(
                        "VM.provision",
                        Guard.ALWAYS,
                        List.of(),
                        List.of(mark("VM", A0, "provision"), new MarkChosenHost("provision")),
                        List.of()));
        put(
                t,
                new LockPlan(
                        "VM.start",
                        Guard.ALWAYS,
                        List.of(),
                        List.of(
                                mark("VM", A0, "start"),
                                new MarkVbds(0, "attach"),
                                new MarkVifs(0, "attach"),
                                new ReserveHost(0, CHOSEN, "vm_start")),
                        devices()));
        put(
                t,
                new LockPlan(
                        "VM.start_on",
                        Guard.ALWAYS,
                        List.of(new HostNotEvacuating(1)),
                        List.of(
                                mark("VM", A0, "start_on"),
                                new MarkVbds(0, "attach"),
                                new MarkVifs(0, "attach"),
                                new ReserveHost(0, Target.arg(1), "vm_start")),
                        devices()));
        put(
                t,
                new LockPlan(
                        "VM.resume",
                        Guard.ALWAYS,
                        List.of(),
                        List.of(
                                mark("VM", A0, "resume"),
                                new MarkVbds(0, "attach"),
                                new ReserveHost(0, CHOSEN, "vm_resume")),
                        devices()));
        put(
                t,
                new LockPlan(
                        "VM.resume_on",
                        Guard.ALWAYS,
                        List.of(),
                        List.of(
                                mark("VM", A0, "resume_on"),
                                new MarkVbds(0, "attach"),
                                new ReserveHost(0, Target.arg(1), "vm_resume")),
                        devices()));
        for (String m : List.of("pause", "unpause", "clean_shutdown", "shutdown", "suspend")) {
            put(t, new LockPlan("VM." + m, Guard.ALWAYS, List.of(), List.of(mark("VM", A0, m)), devices()));
        }
        put(
                t,
                new LockPlan(
                        "VM.clean_reboot",
                        Guard.ALWAYS,
                        List.of(),
                        List.of(mark("VM", A0, "clean_reboot"), new MarkVbds(0, "attach"), new MarkVifs(0, "attach")),
                        devices()));
        put(
                t,
                new LockPlan(
                        "VM.hard_shutdown",
                        Guard.ALWAYS,
                        List.of(),
                        List.of(
                                mark("VM", A0, "hard_shutdown"),
                                new CancelVmOps(
                                        0,
                                        List.of(
                                                "clean_shutdown",
                                                "clean_reboot",
                                                "hard_reboot",
                                                "pool_migrate",
                                                "call_plugin",
                                                "shutdown",
                                                "suspend"))),
                        devices()));
        put(
                t,
                new LockPlan(
                        "VM.hard_reboot",
                        Guard.ALWAYS,
                        List.of(),
                        List.of(
                                mark("VM", A0, "hard_reboot"),
                                new CancelVmOps(
                                        0,
                                        List.of(
                                                "clean_shutdown",
                                                "clean_reboot",
                                                "pool_migrate",
                                                "call_plugin",
                                                "suspend")),
                                new MarkVbds(0, "attach"),
                                new MarkVifs(0, "attach")),
                        devices()));
        put(
                t,
                new LockPlan(
                        "VM.hard_reboot_internal",
                        Guard.ALWAYS,
                        List.of(),
                        List.of(new MarkVbds(0, "attach"), new MarkVifs(0, "attach")),
                        devices()));
        put(t, new LockPlan("VM.pool_migrate_complete", Guard.ALWAYS, List.of(), List.of(), devices()));
        put(
                t,
                new LockPlan(
                        "VM.pool_migrate",
                        Guard.ALWAYS,
                        List.of(new VmCompatibleWithHost(0, 1, 2)),
                        List.of(
                                new Mark("VM", A0, "pool_migrate", Retry.STANDARD, 2),
                                new AssertCanBootOn(0, 1),
                                new ReserveHost(0, Target.arg(1), "vm_migrate")),
                        devices()));
        put(
                t,
                new LockPlan(
                        "VM.migrate_send",
                        Guard.ALWAYS,
                        List.of(),
                        List.of(mark(VM.XAPI_CLASS, A0, "migrate_send"), new ReserveMigrationDest(0, 1, "vm_migrate")),
                        List.of()));
        put(
                t,
                new LockPlan(
                        "VM.revert",
                        Guard.ALWAYS,
                        List.of(),
                        List.of(
                                mark("VM", A0, "revert"),
                                mark("VM", Target.fieldOf(0, "VM", "snapshot_of"), "reverting")),
                        List.of()));
        put(
                t,
                new LockPlan(
                        "VM.call_plugin",
                        Guard.ALWAYS,
                        List.of(),
                        List.of(new Mark("VM", A0, "call_plugin", Retry.FAIL_IMMEDIATELY, -1)),
                        List.of()));
        put(
                t,
                new LockPlan(
                        "VM.call_host_plugin",
                        Guard.ALWAYS,
                        List.of(new VmPowerState(0, List.of("Running"), false, ";")),
                        List.of(new Mark("VM", A0, "call_plugin", Retry.FAIL_IMMEDIATELY, -1)),
                        List.of()));
        put(
                t,
                new LockPlan(
                        "VM.sysprep",
                        Guard.ALWAYS,
                        List.of(),
                        List.of(new Mark("VM", A0, "sysprep", Retry.FAIL_IMMEDIATELY, -1)),
                        List.of()));
        for (String m : List.of("set_VCPUs_number_live", "add_to_VCPUs_params_live"))
            vm(t, "VM." + m, "changing_VCPUs_live");
        for (String m : List.of("set_NVRAM", "remove_from_NVRAM", "add_to_NVRAM")) vm(t, "VM." + m, "changing_NVRAM");
        vm(t, "VM.set_VCPUs_max", "changing_VCPUs");
        for (String m : List.of("set_memory_dynamic_range", "set_memory_dynamic_max", "set_memory_dynamic_min")) {
            vm(t, "VM." + m, "changing_dynamic_range");
        }
        for (String m : List.of("set_memory_static_range", "set_memory_static_max", "set_memory_static_min")) {
            vm(t, "VM." + m, "changing_static_range");
        }
        for (String m : List.of("set_memory_limits", "set_memory")) vm(t, "VM." + m, "changing_memory_limits");
        vm(t, "VM.set_memory_target_live", "changing_memory_live");
        vm(t, "VM.wait_memory_target_live", "awaiting_memory_live");
        vm(t, "VM.set_HVM_shadow_multiplier", "changing_shadow_memory");
        vm(t, "VM.set_shadow_multiplier_live", "changing_shadow_memory_live");
        for (String m : List.of("get_data_sources", "record_data_source", "forget_data_source_archives")) {
            vm(t, "VM." + m, "data_source_op");
        }
        put(
                t,
                new LockPlan(
                        "VM.query_data_source",
                        Guard.ALWAYS,
                        List.of(new VmPowerState(0, List.of("Running", "Paused"), true, ";")),
                        List.of(),
                        List.of()));
        for (String m : List.of(
                "set_blocked_operations",
                "add_to_blocked_operations",
                "remove_from_blocked_operations",
                "set_ha_always_run",
                "set_ha_restart_priority")) {
            put(t, new LockPlan("VM." + m, Guard.ALWAYS, List.of(), List.of(), List.of(refresh(Refresh.Kind.VM, A0))));
        }
        put(t, new LockPlan("VTPM.create", Guard.ALWAYS, List.of(), List.of(mark("VM", A0, "create_vtpm")), List.of()));
        // VM_appliance (with_vm_appliance_operation) ------------------------------------------------
        for (String m : List.of("start", "clean_shutdown", "hard_shutdown", "shutdown")) {
            single(t, VMAppliance.XAPI_CLASS + "." + m, VMAppliance.XAPI_CLASS, A0, m);
        }
        // VBD, VIF ---------------------------------------------------------------------------
        for (String m : List.of("insert", "eject", "plug", "unplug", "unplug_force", "pause", "unpause")) {
            put(
                    t,
                    new LockPlan(
                            "VBD." + m,
                            Guard.ALWAYS,
                            List.of(),
                            List.of(mark("VBD", A0, m)),
                            List.of(refresh(Refresh.Kind.VBD_AND_VDI, A0))));
        }
        put(
                t,
                new LockPlan(
                        "VBD.unplug_force_no_safety_check",
                        Guard.ALWAYS,
                        List.of(),
                        List.of(mark("VBD", A0, "unplug_force")),
                        List.of(refresh(Refresh.Kind.VBD_AND_VDI, A0))));
        single(t, "VIF.plug", "VIF", A0, "plug");
        single(t, "VIF.unplug", "VIF", A0, "unplug");
        single(t, "VIF.unplug_force", "VIF", A0, "unplug"); // Xapi marks unplug for both
        single(t, "VUSB.unplug", VUSB.XAPI_CLASS, A0, "unplug"); // with_vusb_marked
        // SR, PBD ----------------------------------------------------------------------------
        for (String m : List.of("destroy", "forget", "scan")) single(t, "SR." + m, "SR", A0, m);
        single(t, "PBD.create", "SR", Target.recordField(0, "SR"), "pbd_create");
        single(t, "PBD.destroy", "SR", Target.fieldOf(0, "PBD", "SR"), "pbd_destroy");
        single(t, "PBD.plug", "SR", Target.fieldOf(0, "PBD", "SR"), "plug");
        put(t, new LockPlan("PBD.unplug", Guard.ALWAYS, List.of(), List.of(new PbdUnplug(0)), List.of()));
        // VDI --------------------------------------------------------------------------------
        Target srOfVdi = Target.fieldOf(0, "VDI", "SR");
        srVdi(t, "VDI.create", Target.recordField(0, "SR"), "vdi_create", null, null);
        srVdi(t, "VDI.introduce", Target.arg(3), "vdi_introduce", null, null);
        srVdi(t, "VDI.update", null, null, A0, "update");
        srVdi(t, "VDI.forget", null, null, A0, "forget");
        srVdi(t, "VDI.destroy", srOfVdi, "vdi_destroy", A0, "destroy");
        srVdi(t, "VDI.snapshot", srOfVdi, "vdi_snapshot", A0, "snapshot");
        srVdi(t, "VDI.clone", srOfVdi, "vdi_clone", A0, "clone");
        srVdi(t, "VDI.copy", null, null, A0, "copy");
        srVdi(t, "VDI.resize", srOfVdi, "vdi_resize", A0, "resize");
        srVdi(t, "VDI.resize_online", srOfVdi, "vdi_resize", A0, "resize_online");
        srVdi(t, "VDI.generate_config", null, null, Target.arg(1), "generate_config");
        srVdi(t, "VDI.force_unlock", null, null, A0, "force_unlock");
        srVdi(t, "VDI.enable_cbt", srOfVdi, "vdi_enable_cbt", A0, "enable_cbt");
        srVdi(t, "VDI.disable_cbt", srOfVdi, "vdi_disable_cbt", A0, "disable_cbt");
        srVdi(t, "VDI.data_destroy", srOfVdi, "vdi_data_destroy", A0, "data_destroy");
        srVdi(
                t,
                "VDI.list_changed_blocks",
                Target.fieldOf(1, "VDI", "SR"),
                "vdi_list_changed_blocks",
                Target.arg(1),
                "list_changed_blocks");
        put(
                t,
                new LockPlan(
                        "VDI.set_on_boot",
                        Guard.ALWAYS,
                        List.of(new VdiNotOnRunningVm(0)),
                        List.of(new MarkSrVdi(srOfVdi, "vdi_set_on_boot", A0, "set_on_boot")),
                        List.of()));
        put(
                t,
                new LockPlan(
                        "VDI.set_allow_caching",
                        Guard.ALWAYS,
                        List.of(new VdiNotOnRunningVm(0)),
                        List.of(),
                        List.of()));
        put(
                t,
                new LockPlan(
                        "VDI.revert",
                        Guard.ALWAYS,
                        List.of(),
                        List.of(
                                new MarkSrVdi(srOfVdi, "vdi_revert", A0, "revert_to"),
                                new MarkSrVdi(null, null, Target.fieldOf(0, "VDI", "snapshot_of"), "revert_from")),
                        List.of()));
        put(
                t,
                new LockPlan(
                        "VDI.pool_migrate",
                        Guard.ALWAYS,
                        List.of(new VdiHasVbd(0)),
                        List.of(
                                mark("VM", new Target(Target.Kind.VM_OF_VDI_ARG, 0, null, null), "migrate_send"),
                                new MarkSrVdi(null, null, A0, "mirror")),
                        List.of()));
        // host -------------------------------------------------------------------------------
        for (String m : List.of("shutdown", "reboot", "power_on", "evacuate")) single(t, "host." + m, "host", A0, m);
        put(
                t,
                new LockPlan(
                        "host.enable",
                        Guard.ALWAYS,
                        List.of(),
                        List.of(mark("host", A0, "enable")),
                        List.of(refresh(Refresh.Kind.HOST, A0))));
        for (String m : List.of("disable", "declare_dead")) {
            put(
                    t,
                    new LockPlan(
                            "host." + m, Guard.ALWAYS, List.of(), List.of(), List.of(refresh(Refresh.Kind.HOST, A0))));
        }
        single(t, "host.refresh_server_certificate", "pool", POOL, "cert_refresh");
        single(t, "host.copy_primary_host_certs", "pool", POOL, "copy_primary_host_certs");
        single(
                t,
                "host.apply_updates",
                "pool",
                POOL,
                "apply_updates"); // xapi_host.ml; the host mark follows its disable
        // pool -------------------------------------------------------------------------------
        single(t, "pool.eject", "pool", POOL, "eject");
        single(t, "pool.designate_new_master", "pool", POOL, "designate_new_master");
        single(t, "pool.enable_ha", "pool", POOL, "ha_enable");
        single(t, "pool.disable_ha", "pool", POOL, "ha_disable");
        single(t, "pool.enable_tls_verification", "pool", POOL, "tls_verification_enable");
        for (String m : List.of(
                "install_trusted_certificate",
                "uninstall_trusted_certificate",
                "sync_trusted_certificates_from",
                "exchange_trusted_certificates_on_join")) {
            single(t, "pool." + m, "pool", POOL, "copy_primary_host_certs");
        }
        single(t, "pool.exchange_crls_on_join", "pool", POOL, "exchange_crls_on_join");
        single(
                t,
                "pool.exchange_ca_certificates_on_join",
                org.xapijava.model.api.Pool.XAPI_CLASS,
                POOL,
                "exchange_ca_certificates_on_join");
        single(t, "pool.exchange_certificates_on_join", "pool", POOL, "exchange_certificates_on_join"); // xapi_pool.ml
        for (String m : List.of("set_repositories", "add_repository", "remove_repository")) {
            single(t, "pool." + m, "pool", POOL, "configure_repositories"); // xapi_pool.ml
        }
        single(t, "pool.sync_updates", "pool", POOL, "sync_updates"); // xapi_pool.ml
        single(t, "Cluster.create", "pool", POOL, "cluster_create");
        return java.util.Collections.unmodifiableMap(t);
    }

    private static Mark mark(String cls, Target target, String op) {
        return new Mark(cls, target, op, Retry.STANDARD, -1);
    }

    private static Refresh refresh(Refresh.Kind kind, Target target) {
        return new Refresh(kind, target);
    }

    private static List<Refresh> devices() {
        return List.of(refresh(Refresh.Kind.VM_AND_DEVICES, A0));
    }

    private static void put(Map<String, LockPlan> t, LockPlan f) {
        if (t.put(f.message(), f) != null) throw new IllegalStateException("two plans for " + f.message());
    }

    private static void vm(Map<String, LockPlan> t, String message, String op) {
        single(t, message, "VM", A0, op);
    }

    private static void single(Map<String, LockPlan> t, String message, String cls, Target target, String op) {
        put(t, new LockPlan(message, Guard.ALWAYS, List.of(), List.of(mark(cls, target, op)), List.of()));
    }

    private static void srVdi(
            Map<String, LockPlan> t, String message, Target sr, String srOp, Target vdi, String vdiOp) {
        put(t, new LockPlan(message, Guard.ALWAYS, List.of(), List.of(new MarkSrVdi(sr, srOp, vdi, vdiOp)), List.of()));
    }

    /** The (class, operation) pairs this plan marks (used to skip plans with operations the datamodel lacks). */
    List<String[]> markedOps() {
        List<String[]> out = new ArrayList<>();
        for (Step s : steps) {
            switch (s) {
                case Mark m -> out.add(new String[] {m.cls(), m.op()});
                case MarkSrVdi m -> {
                    if (m.srOp() != null) out.add(new String[] {"SR", m.srOp()});
                    if (m.vdiOp() != null) out.add(new String[] {"VDI", m.vdiOp()});
                }
                case MarkVbds m -> out.add(new String[] {"VBD", m.op()});
                case MarkVifs m -> out.add(new String[] {"VIF", m.op()});
                case ReserveHost m -> out.add(new String[] {"host", m.op()});
                case ReserveMigrationDest m -> out.add(new String[] {org.xapijava.model.api.Host.XAPI_CLASS, m.op()});
                case MarkChosenHost m -> out.add(new String[] {"host", m.op()});
                case PbdUnplug m -> out.add(new String[] {"SR", "unplug"});
                case CancelVmOps m -> {}
                case AssertCanBootOn m -> {}
            }
        }
        return out;
    }
}
