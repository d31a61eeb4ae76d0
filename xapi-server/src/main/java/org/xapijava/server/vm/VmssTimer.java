package org.xapijava.server.vm;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.VMSS;
import org.xapijava.model.api.enums.VmssFrequency;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.server.alerts.MessageStore;

/**
 * The pool master's snapshot schedule timer: what the {@code vmss} plugin's periodic job does on a real host (Xapi's
 * design: a job that goes through every schedule of the pool and runs those that are due). Each {@link #tick} looks
 * at the time between the previous tick (or the timer's start) and now: an enabled schedule with VMs whose latest
 * run time ({@link VmssSchedule#latestRun}, in the clock's zone) falls in it and after its {@code last_run_time} is
 * run through {@code VMSS.snapshot_now} (typed in-process client: the licence check, the run and its alerts are the
 * message's), one schedule after the other. When more than one of a schedule's run times fell in that time, the
 * earlier ones were missed: {@code VMSS_SNAPSHOT_MISSED_EVENT} on the schedule. A schedule refused for want of a
 * licence gets {@code VMSS_LICENSE_ERROR}. The background thread ticks at each quarter hour of the clock (the
 * schedules' minutes); tests drive {@link #tick} with their own clock. Thread-safe: ticks run one at a time.
 */
public final class VmssTimer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VmssTimer.class);
    /** Schedules run at minutes 0, 15, 30 and 45: the timer wakes at each. */
    static final Duration PERIOD = Duration.ofMinutes(15);
    /** Past the quarter hour the background tick waits, so that a clock read on waking is surely past it. */
    private static final Duration SLACK = Duration.ofSeconds(1);

    private final Db data;
    private final Clock clock;
    private final Supplier<XenApi> api;
    private final MessageStore alerts;
    private final ReentrantLock ticking = new ReentrantLock();
    /** The end of the time the previous tick looked at; guarded by {@link #ticking}. */
    private Instant lastTick;

    private ScheduledExecutorService thread;

    /**
     * @param api the XenAPI the runs are called through (an internal session's in-process client)
     */
    public VmssTimer(Db data, Clock clock, Supplier<XenApi> api, MessageStore alerts) {
        this.data = data;
        this.clock = clock;
        this.api = api;
        this.alerts = alerts;
        this.lastTick = clock.instant();
    }

    /** Starts the background ticks, one at each quarter hour of the clock. */
    public synchronized void start() {
        if (thread != null) return;
        thread = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("xapi-vmss-timer").factory());
        scheduleNext();
    }

    private synchronized void scheduleNext() {
        if (thread == null) return;
        Instant now = clock.instant();
        Instant next = now.truncatedTo(ChronoUnit.HOURS);
        while (!next.isAfter(now)) next = next.plus(PERIOD);
        long delay = Duration.between(now, next).plus(SLACK).toMillis();
        thread.schedule(
                () -> {
                    try {
                        tick();
                    } catch (RuntimeException e) {
                        LOG.warn("snapshot schedule timer tick failed", e);
                    }
                    scheduleNext();
                },
                delay,
                TimeUnit.MILLISECONDS);
    }

    /** What one tick did to one schedule. */
    public record Ran(String vmss, boolean missed, ApiError error) {}

    /** Runs the schedules due since the previous tick (see the class comment); what it ran, in order. */
    public List<Ran> tick() {
        ticking.lock();
        try {
            Instant now = clock.instant();
            Instant since = lastTick;
            lastTick = now;
            List<Ran> out = new ArrayList<>();
            for (String vmss : data.all(VMSS.XAPI_CLASS)) {
                Ran r = runIfDue(vmss, since, now);
                if (r != null) out.add(r);
            }
            return out;
        } finally {
            ticking.unlock();
        }
    }

    private Ran runIfDue(String vmss, Instant since, Instant now) {
        Instant latest;
        Instant before;
        try {
            if (!data.get(vmss, VMSS.ENABLED) || data.get(vmss, VMSS.VMS).isEmpty()) return null;
            VmssFrequency f = VmssFrequency.of(data.get(vmss, VMSS.FREQUENCY));
            var schedule = data.get(vmss, VMSS.SCHEDULE);
            ZoneId zone = clock.getZone();
            latest = f == null ? null : VmssSchedule.latestRun(f, schedule, now, zone);
            if (latest == null) return null;
            Instant from = since;
            Instant lastRun = data.get(vmss, VMSS.LAST_RUN_TIME).toInstant();
            if (lastRun.isAfter(from)) from = lastRun;
            if (!latest.isAfter(from)) return null;
            before = VmssSchedule.latestRun(f, schedule, latest.minusSeconds(1), zone);
            boolean missed = before != null && before.isAfter(from);
            if (missed) {
                alert(
                        vmss,
                        "VMSS_SNAPSHOT_MISSED_EVENT",
                        "Snapshot schedule " + VmssRun.describe(data, vmss) + " missed its run of "
                                + DateTime.ofInstant(before) + "; running it now");
            }
            ApiError error = null;
            try {
                api.get().vmss().snapshotNow(vmss);
            } catch (ApiError e) {
                error = e;
                LOG.info("snapshot schedule {} run: {}", vmss, e.getMessage());
                if (ErrorCodes.LICENCE_RESTRICTION.equals(e.code())) {
                    alert(
                            vmss,
                            "VMSS_LICENSE_ERROR",
                            "Snapshot schedule " + VmssRun.describe(data, vmss)
                                    + " did not run: the pool is not licensed for it");
                }
            }
            return new Ran(vmss, missed, error);
        } catch (ApiError e) {
            LOG.debug("snapshot schedule {} not looked at: {}", vmss, e.getMessage()); // destroyed meanwhile
            return null;
        }
    }

    /** A warning (priority 3) on the schedule; a failure to write it is logged, not raised. */
    private void alert(String vmss, String name, String body) {
        try {
            alerts.create(name, 3, VMSS.XAPI_CLASS, data.get(vmss, VMSS.UUID), body);
        } catch (RuntimeException e) {
            LOG.debug("could not send {} for {}", name, vmss, e);
        }
    }

    @Override
    public synchronized void close() {
        if (thread != null) thread.shutdownNow();
        thread = null;
    }
}
