package org.xapijava.server.ops;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.xapijava.db.DbReader;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMAppliance;
import org.xapijava.model.api.VTPM;
import org.xapijava.model.errors.ApiError;

/**
 * The operation checkers by class name ({@code VM}, {@code VBD}, {@code VIF}, {@code VDI},
 * {@code SR}, {@code host}, {@code pool}, {@code VM_appliance}, {@code VUSB}): pure functions of one database state and of
 * the few host facts Xapi reads outside the database. Immutable and thread-safe.
 *
 * @param powerOnPlugin whether the {@code power-on-host} plugin is installed (host {@code power_on}), asked at each
 *     check as Xapi looks at the file each time
 */
public record Checkers(java.util.function.BooleanSupplier powerOnPlugin) {
    /** Checkers for which the plugin is there or not, once and for all (tests). */
    public Checkers(boolean powerOnPlugin) {
        this(() -> powerOnPlugin);
    }

    /** The classes with operations that this package checks. */
    public static final Set<String> CLASSES =
            Set.of("VM", "VBD", "VIF", "VDI", "SR", "host", "pool", VMAppliance.XAPI_CLASS, VusbChecker.CLS);

    /** Xapi's {@code Constants.power_on_plugin}. */
    public static final String POWER_ON_PLUGIN = "power-on-host";

    /** The checkers of a host whose plugins are in {@code pluginsRoot} (Xapi's {@code xapi_plugins_root}). */
    public static Checkers at(Path pluginsRoot) {
        Path plugin = pluginsRoot.resolve(POWER_ON_PLUGIN);
        return new Checkers(() -> Files.isExecutable(plugin));
    }

    /** The checker of {@code cls/ref} in state {@code r}; {@code HANDLE_INVALID} when the object is missing. */
    OpChecker of(DbReader r, String cls, String ref) {
        return switch (cls) {
            case "VM" -> VmChecker.of(r, ref);
            case "VBD" -> VbdChecker.of(r, ref);
            case "VIF" -> VifChecker.of(r, ref);
            case "VDI" -> VdiChecker.of(r, ref);
            case "SR" -> SrChecker.of(r, ref);
            case "host" -> HostChecker.of(r, ref, powerOnPlugin.getAsBoolean());
            case "pool" -> PoolChecker.of(r, ref);
            case VMAppliance.XAPI_CLASS -> VmApplianceChecker.of(r, ref);
            case VusbChecker.CLS -> VusbChecker.of(r, ref);
            default -> throw new IllegalArgumentException("no operations checker for class " + cls);
        };
    }

    /** The error Xapi gives for {@code op} on {@code cls/ref} in state {@code r}, or null (allowed). */
    public ApiError check(DbReader r, String cls, String ref, String op, boolean strict) {
        return of(r, cls, ref).check(op, strict);
    }

    /** The {@code allowed_operations} Xapi computes for {@code cls/ref} in state {@code r}. */
    public List<String> allowed(DbReader r, String cls, String ref) {
        return of(r, cls, ref).allowed();
    }

    /** A VTPM's allowed operations ({@code vtpm_update_allowed_operations}): destroy while its VM is halted. */
    static List<String> vtpmAllowed(DbReader r, String vtpm) {
        String vm = r.get(vtpm, VTPM.VM);
        return r.isValid(VM.XAPI_CLASS, vm) && r.get(vm, VM.POWER_STATE).equals("Halted")
                ? List.of("destroy")
                : List.of();
    }
}
