package org.xapijava.xenopsd.sim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.XenopsError;

/**
 * {@code DEBUG.trigger} and the wedge. Commands: xenopsd's {@code "reboot" [vm]} and {@code "halt" [vm]} (the guest
 * reboots or shuts itself down: an action request, then a backend event), {@code "check-vbd-plug-ordering" [vm]}
 * and {@code "set-cancel-trigger" [dbg; n]}; and extensions: {@code "crash" [vm]}, {@code "guest-agent" [vm;
 * "on"|"off"]} ({@link GuestAgent}), {@code "sysprep" [vm; "on"|"off"|"hang"]} ({@link GuestControl}),
 * {@code "set-delay" [step; ms]} ({@link StepDelays}) and {@code "wedge"
 * [seconds]}: the socket server stops answering calls for that long ({@link #awaitUnwedged()}; {@code 0} ends
 * it). Anything else, or the wrong number of arguments, is {@code Unimplemented cmd}.
 *
 * <p>Thread-safe: {@code wedgeLock} guards the wedge state; the commands act through the thread-safe rooms.
 */
final class DebugHooks {

    private final VmTable vms;
    private final Tasks tasks;
    private final Domains domains;
    private final Engine engine;
    private final GuestAgent guestAgent;
    private final GuestControl control;
    private final StepDelays delays;

    private final ReentrantLock wedgeLock = new ReentrantLock();
    private final Condition unwedged = wedgeLock.newCondition();
    /** Guarded by {@code wedgeLock}. */
    private boolean wedged;
    /** Guarded by {@code wedgeLock}. */
    private long wedgedUntilNanos;
    /** Guarded by {@code wedgeLock}: no more wedging once the simulator is closed. */
    private boolean closed;

    DebugHooks(
            VmTable vms,
            Tasks tasks,
            Domains domains,
            Engine engine,
            GuestAgent guestAgent,
            GuestControl control,
            StepDelays delays) {
        this.control = control;
        this.vms = vms;
        this.tasks = tasks;
        this.domains = domains;
        this.engine = engine;
        this.guestAgent = guestAgent;
        this.delays = delays;
    }

    /** Ends any wedge for good, waking its waiters. */
    void close() {
        wedgeLock.lock();
        try {
            closed = true;
            wedged = false;
            unwedged.signalAll();
        } finally {
            wedgeLock.unlock();
        }
    }

    void trigger(String cmd, List<String> args) {
        switch (cmd) {
            case "set-cancel-trigger" -> {
                if (args.size() != 2) throw XenopsError.unimplemented(cmd);
                int n;
                try {
                    n = Integer.parseInt(args.get(1));
                } catch (NumberFormatException e) {
                    throw XenopsError.internalError("Failure(\"int_of_string\")");
                }
                tasks.setCancelTrigger(args.get(0), n);
            }
            case "reboot", "halt", "crash" -> {
                if (args.size() != 1) throw XenopsError.unimplemented(cmd);
                String req = switch (cmd) {
                    case "reboot" -> "Needs_reboot";
                    case "halt" -> "Needs_poweroff";
                    default -> "Needs_crashdump";
                };
                domains.requestAction(args.get(0), req);
                engine.backendVmEvent(args.get(0));
            }
            case "check-vbd-plug-ordering" -> {
                if (args.size() != 1) throw XenopsError.unimplemented(cmd);
                List<Vbd> plugOrder = new ArrayList<>(vms.domainExn(args.get(0)).vbds());
                Collections.reverse(plugOrder);
                List<List<Vbd>> sets = Devices.vbdPlugSets(plugOrder);
                List<Vbd> expected = new ArrayList<>(sets.get(0));
                expected.addAll(sets.get(1));
                if (!expected.equals(plugOrder)) throw XenopsError.internalError("check-vbd-plug-ordering");
            }
            case "guest-agent" -> {
                if (args.size() != 2 || !List.of("on", "off").contains(args.get(1)))
                    throw XenopsError.unimplemented(cmd);
                vms.vmExn(args.get(0));
                guestAgent.set(args.get(0), args.get(1).equals("on"));
                domains.setBalloonDriver(args.get(0), args.get(1).equals("on")); // the PV drivers come with it
                engine.backendVmEvent(args.get(0));
            }
            case "sysprep" -> {
                if (args.size() != 2 || !List.of("on", "off", "hang").contains(args.get(1)))
                    throw XenopsError.unimplemented(cmd);
                control.setSysprep(
                        args.get(0), GuestControl.Sysprep.valueOf(args.get(1).toUpperCase(java.util.Locale.ROOT)));
                engine.backendVmEvent(args.get(0));
            }
            case "set-delay" -> {
                if (args.size() != 2) throw XenopsError.unimplemented(cmd);
                try {
                    StepDelays.checkStepName(args.get(0));
                    delays.set(args.get(0), Long.parseLong(args.get(1)));
                } catch (IllegalArgumentException e) {
                    throw XenopsError.internalError("set-delay: " + e.getMessage());
                }
            }
            case "refuse-migration" -> {
                if (args.size() != 1 || !List.of("on", "off").contains(args.get(0)))
                    throw XenopsError.unimplemented(cmd);
                engine.migrations().refuse(args.get(0).equals("on"));
            }
            case "wedge" -> {
                if (args.size() != 1) throw XenopsError.unimplemented(cmd);
                double secs;
                try {
                    secs = Double.parseDouble(args.get(0));
                } catch (NumberFormatException e) {
                    throw XenopsError.internalError("wedge: " + e.getMessage());
                }
                wedge(secs);
            }
            default -> throw XenopsError.unimplemented(cmd);
        }
    }

    private void wedge(double secs) {
        wedgeLock.lock();
        try {
            wedged = secs > 0;
            wedgedUntilNanos = System.nanoTime() + (long) (secs * 1e9);
            unwedged.signalAll();
        } finally {
            wedgeLock.unlock();
        }
    }

    /** Blocks while wedged (until the wedge's time is up, it is ended, or the simulator closes). */
    void awaitUnwedged() throws InterruptedException {
        wedgeLock.lock();
        try {
            while (wedged && !closed) {
                long left = wedgedUntilNanos - System.nanoTime();
                if (left <= 0) {
                    wedged = false;
                    return;
                }
                unwedged.awaitNanos(left);
            }
        } finally {
            wedgeLock.unlock();
        }
    }
}
