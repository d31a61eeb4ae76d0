package org.xapijava.server.it;

import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.xapijava.server.TestHost;
import org.xapijava.server.it.OperationTableSdkTest.Kind;

/**
 * The VMs an operation table calls its messages on, one per {@link Kind}, made through the SDK and kept from cell
 * to cell: an ordinary VM driven to each power state through real lifecycle calls, a template, a default template, a
 * snapshot, the control domain. A subject a cell destroyed or changed for good is {@linkplain #discard discarded},
 * and the next cell makes a fresh one.
 */
final class VmSubjects {
    static final String H = OperationTableSdkTest.H;
    static final String P = OperationTableSdkTest.P;
    static final String S = OperationTableSdkTest.S;

    /** Makes the halted VM each made subject starts from. */
    @FunctionalInterface
    interface Factory {
        VM make(String name) throws Exception;
    }

    private final TestHost host;
    private final ConcurrencySupport.Recording c;
    private final String prefix;
    private final Factory factory;
    private final Map<Kind, VM> subjects = new LinkedHashMap<>();
    /** The ordinary VM the snapshot subject was taken of (reverting the snapshot reverts it). */
    private VM snapshotSource;

    private int made;

    /** Subjects named {@code prefix-kind-n}, made as ordinary PV VMs. */
    VmSubjects(TestHost host, ConcurrencySupport.Recording c, String prefix) {
        this(host, c, prefix, name -> ConcurrencySupport.pvVm(host, c, name));
    }

    VmSubjects(TestHost host, ConcurrencySupport.Recording c, String prefix, Factory factory) {
        this.host = host;
        this.c = c;
        this.prefix = prefix;
        this.factory = factory;
    }

    /** The subject of {@code kind}, in {@code state}, made or driven there through real operations. */
    VM subject(Kind kind, String state) throws Exception {
        VM vm = subjects.get(kind);
        if (vm != null && !valid(vm)) vm = null;
        if (vm == null) {
            vm = make(kind);
            subjects.put(kind, vm);
        }
        if (kind == Kind.VM) drive(vm, state);
        return vm;
    }

    /** Whether the VM still exists. */
    boolean valid(VM vm) throws Exception {
        return ConcurrencySupport.errorOf(c, () -> vm.getUuid(c)) == null;
    }

    private VM make(Kind kind) throws Exception {
        String name = prefix + "-" + kind.name().toLowerCase(Locale.ROOT) + "-" + (++made);
        switch (kind) {
            case VM -> {
                return factory.make(name);
            }
            case TEMPLATE -> {
                VM vm = factory.make(name);
                vm.setIsATemplate(c, true);
                return vm;
            }
            case DEFAULT_TEMPLATE -> {
                VM vm = factory.make(name);
                // what marks first-start templates as default; set first: it is a plain field write, and
                // allowed_operations is recomputed by the marking of set_is_a_template
                vm.addToOtherConfig(c, "default_template", "true");
                vm.setIsATemplate(c, true);
                return vm;
            }
            case SNAPSHOT -> {
                if (snapshotSource == null || !valid(snapshotSource)) snapshotSource = factory.make(name + "-source");
                return snapshotSource.snapshot(c, name);
            }
            case CONTROL_DOMAIN -> {
                for (Map.Entry<VM, VM.Record> e : VM.getAllRecords(c).entrySet()) {
                    if (e.getValue().isControlDomain) return e.getKey();
                }
                throw new AssertionError("no control domain");
            }
            default -> throw new IllegalArgumentException(kind.toString());
        }
    }

    /** Drives an ordinary VM to {@code target} through lifecycle calls. */
    void drive(VM vm, String target) throws Exception {
        String now = vm.getPowerState(c).toString().toLowerCase(Locale.ROOT);
        if (now.equals(target)) return;
        switch (now + ">" + target) {
            case "running>paused" -> vm.pause(c);
            case "paused>running" -> vm.unpause(c);
            case "running>suspended" -> vm.suspend(c);
            case "suspended>running" -> vm.resume(c, false, false);
            default -> {
                if (!now.equals(H)) vm.hardShutdown(c);
                if (target.equals(H)) return;
                vm.start(c, false, false);
                if (target.equals(P)) vm.pause(c);
                if (target.equals(S)) vm.suspend(c);
            }
        }
    }

    /** Forgets the subject of {@code kind} (after {@link #discard}): the next cell makes a new one. */
    void forget(Kind kind) {
        subjects.remove(kind);
    }

    /**
     * Removes a VM a table made or changed for good: a default template loses its flags (default templates cannot
     * be destroyed), a live or suspended VM is shut down, and a domain the simulator still has (after a reset of a
     * paused VM) is destroyed there too. The control domain is left alone.
     */
    void discard(VM vm) throws Exception {
        if (!valid(vm)) return;
        VM.Record r = vm.getRecord(c);
        if (r.isControlDomain) return;
        if (r.isDefaultTemplate) { // what a client cannot undo
            host.server.services().data().set(vm.toWireString(), org.xapijava.model.api.VM.IS_DEFAULT_TEMPLATE, false);
        }
        if ("true".equals(r.otherConfig.get("default_template"))) vm.removeFromOtherConfig(c, "default_template");
        host.server.services().allowed().update(org.xapijava.model.api.VM.XAPI_CLASS, vm.toWireString());
        if (r.powerState != Types.VmPowerState.HALTED) vm.hardShutdown(c);
        vm.destroy(c);
        ConcurrencySupport.purgeFromSimulator(host, r.uuid);
    }
}
