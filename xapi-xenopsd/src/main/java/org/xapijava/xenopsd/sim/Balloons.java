package org.xapijava.xenopsd.sim;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The simulated guests' balloon drivers (an addition: xenopsd's simulator backend has none). A domain's memory
 * target is its {@code memory_dynamic_max} (the simulated host never squeezes: squeezed gives every domain its
 * maximum when memory allows); its actual memory moves from where it was when the target last changed
 * ({@link Guest#balloonFrom()}) toward the target at {@link #BYTES_PER_SECOND}, in whole pages, when the guest has
 * a balloon driver ({@link Guest#balloonDriver()}), and stays put otherwise.
 *
 * <p>The position is a function of the time, so nothing runs while a balloon moves; when it is due to arrive, the
 * VM is signalled so that {@code UPDATES.get} reports the settled state (the real guest's driver writes its
 * {@code control} keys, which xenopsd watches). Thread-safe: the pure functions hold nothing; the arrival
 * signals run on one daemon thread.
 */
final class Balloons implements AutoCloseable {

    /** How fast a simulated balloon driver gives or takes memory: 1 GiB/s, about what Linux guests manage. */
    static final long BYTES_PER_SECOND = 1L << 30;

    private static final long PAGE = 4096;

    private final VmTable vms;
    private final ScheduledExecutorService arrivals = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("xenopsd-sim-balloons").factory());

    Balloons(VmTable vms) {
        this.vms = vms;
    }

    static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    /** The domain's memory target: its dynamic maximum. */
    static long target(Domain d) {
        return d.memoryDynamicMax();
    }

    /** The domain's actual memory at {@code now} (seconds since the epoch). */
    static long actual(Domain d, double now) {
        Guest g = d.guest();
        long target = target(d);
        long from = g.balloonFrom();
        if (!g.balloonDriver() || from == target) return from;
        double moved = Math.max(0, now - g.balloonSince()) * BYTES_PER_SECOND;
        long distance = Math.abs(target - from);
        if (moved >= distance) return target;
        long step = ((long) moved) / PAGE * PAGE;
        return from < target ? from + step : from - step;
    }

    /** Seconds from {@code now} until the balloon reaches its target, or 0 if it has, or never will. */
    static double secondsToArrival(Domain d, double now) {
        Guest g = d.guest();
        if (!g.balloonDriver()) return 0;
        long left = Math.abs(target(d) - actual(d, now));
        return (double) left / BYTES_PER_SECOND;
    }

    /** The domain with its balloon restarted at {@code now} from where it is, moving if {@code driver}. */
    static Domain restarted(Domain d, double now, boolean driver) {
        return d.withGuest(d.guest().withBalloon(actual(d, now), now, driver));
    }

    /** Signals the VM once its domain's balloon arrives (nothing if it has, or never will). */
    void signalOnArrival(String vmId, Domain d) {
        if (d == null) return;
        double s = secondsToArrival(d, now());
        if (s <= 0) return;
        try {
            // a millisecond late, so that the state read on the signal is the settled one
            arrivals.schedule(() -> vms.signalVm(vmId), (long) Math.ceil(s * 1000) + 1, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the simulator is shutting down
        }
    }

    /** A fresh simulator: the balloons that were moving when the state was saved arrive with a signal too. */
    void resumeAll() {
        for (VmEntry e : vms.all()) {
            if (e.domain() != null && !e.domain().suspended()) signalOnArrival(e.vm().id(), e.domain());
        }
    }

    @Override
    public void close() {
        arrivals.shutdownNow();
    }
}
