package org.xapijava.server.bootstrap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.api.Console;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.api.enums.ConsoleProtocol;
import org.xapijava.model.api.enums.DomainType;
import org.xapijava.model.api.enums.OnCrashBehaviour;
import org.xapijava.model.api.enums.OnNormalExit;
import org.xapijava.model.api.enums.OnSoftrebootBehavior;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.types.Refs;

/**
 * This host's control domain, as Xapi's {@code create_misc.ml} keeps it ({@code ensure_domain_zero_records}):
 * the dom0 VM (uuid CONTROL_DOMAIN_UUID), its {@code rfb} and {@code vt100} consoles and its metrics. Runs on
 * every host; each object is created in one step and found again at the next start.
 */
final class ControlDomain {
    /** Xapi's ports of the dom0 consoles (vncterm's RFB and text ports for display 0). */
    static final long CONSOLE_VNC_PORT = 5900;

    static final long CONSOLE_TEXT_PORT = 9500;
    /** The default name's prefix; a name that still starts with it follows the host name. */
    static final String NAME_PREFIX = "Control domain on host: ";

    private final StartupContext c;
    private final Db db;

    ControlDomain(StartupContext c) {
        this.c = c;
        this.db = c.db;
    }

    /** The control domain's objects. */
    record Dom0(String vm, List<String> consoles, String metrics) {}

    /** The VM, its two consoles ([rfb, vt100]) and its metrics, created or refreshed. */
    Dom0 ensure(String host) {
        String vm = ensureVm(host);
        List<String> consoles = List.of(
                oneConsole(vm, ConsoleProtocol.RFB, CONSOLE_VNC_PORT),
                oneConsole(vm, ConsoleProtocol.VT100, CONSOLE_TEXT_PORT));
        return new Dom0(vm, consoles, ensureMetrics(vm));
    }

    /**
     * {@code ensure_domain_zero_record}: the dom0 VM is created with the fixed-size memory policy (DOM0_MEM) and
     * DOM0_VCPUS vCPUs; at later starts its memory (static-min kept when set), power state, domid, name (when
     * still the default one) and vCPUs are rewritten. Then the host's {@code control_domain} (when unset or
     * dangling) and the VM's memory overhead.
     */
    private String ensureVm(String host) {
        long mem = c.dom0MemoryBytes();
        long vcpus = c.dom0Vcpus();
        String name = NAME_PREFIX + c.settings.hostname();
        Optional<String> found = db.findByUuid(VM.XAPI_CLASS, c.inventory.controlDomainUuid());
        String vm;
        Update.Builder u = Update.builder();
        if (found.isEmpty()) {
            vm = Refs.fresh();
            db.create(vm, newVm(host, name, mem, vcpus));
        } else {
            vm = found.get();
            long staticMin = db.get(vm, VM.MEMORY_STATIC_MIN);
            u.set(vm, VM.MEMORY_STATIC_MIN, staticMin > 0 ? staticMin : mem)
                    .set(vm, VM.MEMORY_STATIC_MAX, mem)
                    .set(vm, VM.MEMORY_DYNAMIC_MIN, mem)
                    .set(vm, VM.MEMORY_DYNAMIC_MAX, mem)
                    .set(vm, VM.MEMORY_TARGET, mem)
                    .set(vm, VM.REQUIRES_REBOOT, false)
                    .set(vm, VM.POWER_STATE, VmPowerState.RUNNING.wire())
                    .set(vm, VM.DOMID, 0L)
                    .set(vm, VM.RESIDENT_ON, host);
            if (db.get(vm, VM.NAME_LABEL).startsWith(NAME_PREFIX)) u.set(vm, VM.NAME_LABEL, name);
            u.set(vm, VM.VCPUS_MAX, vcpus).set(vm, VM.VCPUS_AT_STARTUP, vcpus);
        }
        if (!c.valid(VM.XAPI_CLASS, db.get(host, Host.CONTROL_DOMAIN))) u.set(host, Host.CONTROL_DOMAIN, vm);
        // the overhead follows the memory and vCPUs set above (dom0 never changes its shadow multiplier)
        u.set(
                vm,
                VM.MEMORY_OVERHEAD,
                MemoryModel.overheadBytes(
                        MemoryModel.Model.LINUX_PV, mem, vcpus, db.get(vm, VM.HVM_SHADOW_MULTIPLIER)));
        db.apply(u.build());
        return vm;
    }

    private FieldValues newVm(String host, String name, long mem, long vcpus) {
        return VmRecords.common()
                .with(VM.UUID, c.inventory.controlDomainUuid())
                .with(VM.NAME_LABEL, name)
                .with(VM.NAME_DESCRIPTION, "The domain which manages physical devices and manages other domains")
                .with(VM.POWER_STATE, VmPowerState.RUNNING.wire())
                .with(VM.USER_VERSION, 1L)
                .with(VM.IS_A_TEMPLATE, false)
                .with(VM.IS_DEFAULT_TEMPLATE, false)
                .with(VM.RESIDENT_ON, host)
                .with(VM.AFFINITY, host)
                .with(VM.MEMORY_OVERHEAD, 0L)
                .with(VM.MEMORY_TARGET, mem)
                .with(VM.MEMORY_STATIC_MAX, mem)
                .with(VM.MEMORY_DYNAMIC_MAX, mem)
                .with(VM.MEMORY_DYNAMIC_MIN, mem)
                .with(VM.MEMORY_STATIC_MIN, mem)
                .with(VM.VCPUS_MAX, vcpus)
                .with(VM.VCPUS_AT_STARTUP, vcpus)
                .with(VM.ACTIONS_AFTER_SOFTREBOOT, OnSoftrebootBehavior.SOFT_REBOOT.wire())
                .with(VM.ACTIONS_AFTER_SHUTDOWN, OnNormalExit.DESTROY.wire())
                .with(VM.ACTIONS_AFTER_REBOOT, OnNormalExit.DESTROY.wire())
                .with(VM.ACTIONS_AFTER_CRASH, OnCrashBehaviour.DESTROY.wire())
                .with(VM.HVM_BOOT_POLICY, "")
                .with(VM.HVM_BOOT_PARAMS, Map.of())
                .with(VM.HVM_SHADOW_MULTIPLIER, 1.0)
                .with(VM.PLATFORM, Map.of())
                .with(VM.OTHER_CONFIG, Map.of())
                .with(VM.DOMID, 0L)
                .with(VM.DOMARCH, "x64")
                .with(VM.IS_CONTROL_DOMAIN, true)
                .with(VM.METRICS, Refs.NULL)
                .with(VM.RECOMMENDATIONS, "")
                .with(VM.VERSION, 0L)
                .with(VM.GENERATION_ID, "")
                .with(VM.REFERENCE_LABEL, "")
                .with(VM.DOMAIN_TYPE, DomainType.PV.wire());
    }

    /**
     * Exactly one console of {@code protocol} on dom0, with Xapi's port: the one there is kept, else any extra
     * ones are replaced by a fresh one, in one step.
     */
    private String oneConsole(String vm, ConsoleProtocol protocol, long port) {
        List<String> found = new ArrayList<>();
        for (String console : db.where(Console.VM, vm)) {
            if (protocol.wire().equals(db.get(console, Console.PROTOCOL))) found.add(console);
        }
        if (found.size() == 1) {
            db.set(found.get(0), Console.PORT, port);
            return found.get(0);
        }
        Update.Builder u = Update.builder();
        for (String extra : found) u.delete(Console.XAPI_CLASS, extra);
        String console = Refs.fresh();
        u.create(
                console,
                FieldValues.of(Console.XAPI_CLASS)
                        .with(Console.UUID, StartupContext.uuid())
                        .with(Console.PROTOCOL, protocol.wire())
                        .with(Console.LOCATION, consoleLocation(console, c.settings.managementAddress()))
                        .with(Console.VM, vm)
                        .with(Console.OTHER_CONFIG, Map.of())
                        .with(Console.PORT, port));
        db.apply(u.build());
        return console;
    }

    /** {@code https://<address>/console?ref=<console ref>}, or {@code ""} when the host has no address. */
    static String consoleLocation(String console, String address) {
        if (address.isEmpty()) return "";
        String host = address.indexOf(':') >= 0 ? "[" + address + "]" : address;
        return "https://" + host + "/console?ref=" + console;
    }

    /**
     * {@code ensure_domain_zero_metrics_record}, created with the VM's reference in one step
     * ({@code VCPUs_utilisation}, which Xapi also fills, is a removed field and not stored).
     */
    private String ensureMetrics(String vm) {
        long vcpus = db.get(vm, VM.VCPUS_MAX);
        String m = db.get(vm, VM.METRICS);
        if (c.valid(VMMetrics.XAPI_CLASS, m)) {
            c.apply(Update.builder()
                    .set(m, VMMetrics.CURRENT_DOMAIN_TYPE, DomainType.PV.wire())
                    .set(m, VMMetrics.VCPUS_NUMBER, vcpus));
            return m;
        }
        String fresh = Refs.fresh();
        db.apply(Update.builder()
                .create(fresh, VmRecords.metrics(db.get(vm, VM.MEMORY_TARGET), vcpus, DomainType.PV))
                .set(vm, VM.METRICS, fresh)
                .build());
        return fresh;
    }
}
