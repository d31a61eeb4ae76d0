package org.xapijava.server.vm;

import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Session;
import org.xapijava.model.api.Task;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMSS;
import org.xapijava.model.api.enums.VbdType;
import org.xapijava.model.api.enums.VmssType;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.alerts.MessageStore;
import org.xapijava.server.dispatch.CallContext;

/**
 * {@code VMSS.snapshot_now}: what Xapi's host plugin {@code vmss} ({@code snapshot_now}, called with the schedule's
 * uuid) does, done here in Java through the typed in-process client. The plugin's source is not public; what is
 * Xapi's here: the session it works in (user {@code __dom0__vmss}, a local superuser login: the snapshots it makes
 * get {@code is_vmss_snapshot}, and their tasks {@code ShowInXenCenter}/{@code applies_to}), the alert names and
 * priorities ({@code VMSS_SNAPSHOT_SUCCEEDED} 5, {@code VMSS_SNAPSHOT_FAILED} 3, {@code VMSS_SNAPSHOT_LOCK_FAILED}
 * 3, on the schedule) and the failure lines XenCenter parses ({@code VM:<name> UUID:<uuid> Error:['CODE', ...]}).
 * The rest is ours, recorded in docs/decisions.md: one run at a time in the pool, each VM of the schedule snapshotted
 * ({@code VM.snapshot}, {@code VM.checkpoint} or, for {@code snapshot_with_quiesce}, the removed
 * {@code VM.snapshot_with_quiesce}: {@code MESSAGE_REMOVED}), its schedule snapshots beyond
 * {@code retained_snapshots} destroyed oldest first with their disks, {@code last_run_time} set to the run's start,
 * and the first VM's error as the call's when one failed. Thread-safe.
 */
final class VmssRun {
    private static final Logger LOG = LoggerFactory.getLogger(VmssRun.class);

    /** {@code Xapi_vmss.vmss_username}: the user whose snapshots are schedule snapshots. */
    static final String USERNAME = "__dom0__vmss";
    /** {@code vmss_snapshot_other_config_show_in_xencenter}. */
    static final String SHOW_IN_XENCENTER = "ShowInXenCenter";
    /** {@code vmss_snapshot_other_config_applies_to}. */
    static final String APPLIES_TO = "applies_to";
    /** The API version the run logs in with. */
    private static final String API_VERSION = "1.0";
    /** When the schedule's snapshots are named: UTC, to the second. */
    private static final DateTimeFormatter NAME_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final Db data;
    private final Clock clock;
    private final MessageStore alerts;
    /** One run at a time in the pool (the plugin's lock); held by the running call's thread. */
    private final ReentrantLock running = new ReentrantLock();
    /** The schedule of the run in progress; guarded by {@link #running} for writes. */
    private volatile String runningSchedule = Refs.NULL;

    VmssRun(Db data, Clock clock, MessageStore alerts) {
        this.data = data;
        this.clock = clock;
        this.alerts = alerts;
    }

    /** A VM that could not be snapshotted (or whose old snapshots could not be destroyed), and why. */
    record Failure(String vm, ApiError error) {}

    /**
     * Snapshots every VM of {@code vmss} now; see the class comment. Another run in progress in the pool sends
     * {@code VMSS_SNAPSHOT_LOCK_FAILED} on this schedule and fails with {@code OTHER_OPERATION_IN_PROGRESS ["VMSS",
     * running schedule]}.
     */
    String snapshotNow(CallContext ctx, String vmss) {
        if (!running.tryLock()) {
            String other = runningSchedule;
            alert(
                    vmss,
                    "VMSS_SNAPSHOT_LOCK_FAILED",
                    3,
                    "Snapshot schedule " + describe(data, vmss)
                            + " did not run: a scheduled snapshot run is already in progress in this pool");
            throw new ApiError(ErrorCodes.OTHER_OPERATION_IN_PROGRESS, VMSS.XAPI_CLASS, other);
        }
        try {
            runningSchedule = vmss;
            return run(ctx, vmss);
        } finally {
            runningSchedule = Refs.NULL;
            running.unlock();
        }
    }

    private String run(CallContext ctx, String vmss) {
        DateTime started = DateTime.ofInstant(clock.instant());
        String type = data.get(vmss, VMSS.TYPE);
        long retained = data.get(vmss, VMSS.RETAINED_SNAPSHOTS);
        List<String> vms = new ArrayList<>(data.get(vmss, VMSS.VMS).reversed());
        XenApi internal = ctx.api();
        // a local superuser login (no password from inside): its snapshots are the schedule's (is_vmss_snapshot)
        XenApi api = internal.withSession(internal.session().loginWithPassword(USERNAME, "", API_VERSION, "vmss"));
        List<Failure> failures = new ArrayList<>();
        try {
            for (String vm : vms) {
                try {
                    String name = data.get(vm, VM.NAME_LABEL) + "-" + NAME_TIME.format(started.toInstant());
                    String snapshot = snapshot(api, vm, name, type);
                    prune(api, data, vm, snapshot, retained);
                } catch (ApiError e) {
                    LOG.info("schedule {}: VM {} not snapshotted: {}", vmss, vm, e.getMessage());
                    failures.add(new Failure(vm, e));
                }
            }
            api.vmss().setLastRunTime(vmss, started);
        } finally {
            try {
                api.session().logout();
            } catch (ApiError e) {
                LOG.debug("logout of the schedule's session failed: {}", e.getMessage());
            }
        }
        if (failures.isEmpty()) {
            alert(
                    vmss,
                    "VMSS_SNAPSHOT_SUCCEEDED",
                    5,
                    "Snapshot schedule " + describe(data, vmss) + ": " + vms.size() + " VM(s) snapshotted");
            return "";
        }
        alert(vmss, "VMSS_SNAPSHOT_FAILED", 3, failureBody(data, vmss, vms.size(), failures));
        throw failures.getFirst().error();
    }

    /** The VM's snapshot of the schedule's type; its ref. */
    private static String snapshot(XenApi api, String vm, String name, String type) {
        return switch (VmssType.of(type)) {
            case SNAPSHOT -> api.vm().snapshot(vm, name, List.of());
            case CHECKPOINT -> api.vm().checkpoint(vm, name);
            // VM.snapshot_with_quiesce is a removed message (VSS support is gone)
            case SNAPSHOT_WITH_QUIESCE -> throw new ApiError(ErrorCodes.MESSAGE_REMOVED);
            case null -> throw ApiError.internal("unknown VMSS type " + type);
        };
    }

    /**
     * Destroys the VM's schedule snapshots beyond {@code retained}, oldest first ({@code snapshot_time}, which counts
     * whole seconds, then the order they were made in), never the one just made: each snapshot's VM record, then its
     * disks (not CDs).
     */
    private void prune(XenApi api, Db data, String vm, String made, long retained) {
        List<String> older = new ArrayList<>();
        Map<String, Long> created = new java.util.HashMap<>();
        for (String s : data.get(vm, VM.SNAPSHOTS)) {
            if (!s.equals(made) && data.exists(VM.XAPI_CLASS, s) && data.get(s, VM.IS_VMSS_SNAPSHOT)) {
                older.add(s);
                created.put(s, data.created(VM.XAPI_CLASS, s));
            }
        }
        older.sort(Comparator.comparing((String s) -> data.get(s, VM.SNAPSHOT_TIME))
                .thenComparingLong(created::get));
        long excess = older.size() + 1 - retained;
        for (int i = 0; i < excess && i < older.size(); i++) {
            String old = older.get(i);
            List<String> disks = new ArrayList<>();
            for (String vbd : data.get(old, VM.VBDS)) {
                if (!data.get(vbd, VBD.EMPTY) && !data.get(vbd, VBD.TYPE).equals(VbdType.CD.wire()))
                    disks.add(data.get(vbd, VBD.VDI));
            }
            api.vm().destroy(old);
            for (String vdi : disks) api.vdi().destroy(vdi);
        }
    }

    /**
     * {@code Xapi_vmss.is_vmss_snapshot}: the call's top session (its oldest ancestor) is a local superuser's named
     * {@link #USERNAME}; false when that cannot be read (sessions that live only in memory, for one).
     */
    static boolean isVmssSession(Db data, String session) {
        String top = null;
        String s = session;
        for (int depth = 0; s != null && depth < 64 && data.exists(Session.XAPI_CLASS, s); depth++) {
            top = s;
            s = data.get(s, Session.PARENT);
        }
        return top != null
                && data.get(top, Session.IS_LOCAL_SUPERUSER)
                && USERNAME.equals(data.get(top, Session.AUTH_USER_NAME));
    }

    /**
     * {@code Xapi_vmss.show_task_in_xencenter}: a schedule's snapshot marks its task so that every XenCenter shows it
     * ({@code ShowInXenCenter}, and {@code applies_to} the VM); a key already there is left as it is.
     */
    static void showTaskInXenCenter(Db data, CallContext ctx, String vm) {
        if (ctx.taskRef() == null || !isVmssSession(data, ctx.sessionRef())) return;
        try {
            var oc = data.get(ctx.taskRef(), Task.OTHER_CONFIG);
            if (!oc.containsKey(SHOW_IN_XENCENTER))
                data.addToMap(ctx.taskRef(), Task.OTHER_CONFIG, SHOW_IN_XENCENTER, "");
            if (!oc.containsKey(APPLIES_TO)) data.addToMap(ctx.taskRef(), Task.OTHER_CONFIG, APPLIES_TO, vm);
        } catch (ApiError e) {
            LOG.debug("Error adding other_config:show_in_xencenter to task {}: {}", ctx.taskRef(), e.getMessage());
        }
    }

    /** The failure alert's body: a summary, then one line per VM in the form XenCenter parses. */
    static String failureBody(Db data, String vmss, int total, List<Failure> failures) {
        StringBuilder b = new StringBuilder("Snapshot schedule ")
                .append(describe(data, vmss))
                .append(": ")
                .append(failures.size())
                .append(" of ")
                .append(total)
                .append(" VM(s) not snapshotted");
        for (Failure f : failures) {
            String name = data.exists(VM.XAPI_CLASS, f.vm()) ? data.get(f.vm(), VM.NAME_LABEL) : "";
            String uuid = data.exists(VM.XAPI_CLASS, f.vm()) ? data.get(f.vm(), VM.UUID) : "";
            List<String> info = new ArrayList<>();
            info.add(f.error().code());
            info.addAll(f.error().params());
            b.append("\nVM:")
                    .append(name)
                    .append(" UUID:")
                    .append(uuid)
                    .append(" Error:")
                    .append(pythonList(info));
        }
        return b.toString();
    }

    /** A list of strings as Python prints it ({@code ['A', 'b']}): the plugin's spelling of an error. */
    static String pythonList(List<String> items) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) b.append(", ");
            String s = items.get(i);
            char q = s.contains("'") && !s.contains("\"") ? '"' : '\'';
            b.append(q);
            for (char c : s.toCharArray()) {
                if (c == '\\' || c == q) b.append('\\').append(c);
                else if (c == '\n') b.append("\\n");
                else if (c == '\r') b.append("\\r");
                else if (c == '\t') b.append("\\t");
                else b.append(c);
            }
            b.append(q);
        }
        return b.append(']').toString();
    }

    static String describe(Db data, String vmss) {
        return "'" + data.get(vmss, VMSS.NAME_LABEL) + "' (uuid: " + data.get(vmss, VMSS.UUID) + ")";
    }

    /** A message on the schedule; a failure to write it is logged, not raised. */
    private void alert(String vmss, String name, long priority, String body) {
        try {
            alerts.create(name, priority, VMSS.XAPI_CLASS, data.get(vmss, VMSS.UUID), body);
        } catch (RuntimeException e) {
            LOG.debug("could not send {} for {}", name, vmss, e);
        }
    }
}
