package org.xapijava.server.ops;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.Snapshot;
import org.xapijava.db.Transaction;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.task.TaskManager;

/**
 * Xapi's operation locking ({@code helpers.ml}, {@code message_forwarding.ml}): check-and-mark of
 * {@code current_operations} under one short global lock, the operation itself outside it, and
 * {@code allowed_operations} recomputed after every change. Thread-safe.
 *
 * <p><b>Locks held.</b> Each check-and-mark (check, add {@code key → op}, recompute allowed_operations;
 * for several objects at once when Xapi marks them together) and each unmarking is one database
 * transaction, so it runs under the database's single writer lock: a short {@link ReentrantLock}
 * section that never spans a message body, I/O or RPC (the commit releases it before it waits for
 * durability). This is Xapi's {@code __internal_mutex} section. Locks' own lock guards only the
 * waiters' bookkeeping (wakeup count, queue length) and is never held while the database is written.
 * allowed_operations is written only when it changed, in the same transaction as the marking.
 *
 * <p><b>Waiting.</b> A caller refused with {@code OTHER_OPERATION_IN_PROGRESS} waits and retries per
 * its {@link Retry} policy; every unmarking wakes all waiters at once (Xapi's {@code Early_wakeup}),
 * and so does a cancel of a waiter's task, which then fails with {@code TASK_CANCELLED [task]}. No
 * polling: waiters sleep on a condition, and count wakeups so that none is missed between a refusal
 * and the wait.
 */
public final class Locks {
    private static final Logger LOG = LoggerFactory.getLogger(Locks.class);

    /** Xapi's retry policies for callers that meet {@code OTHER_OPERATION_IN_PROGRESS}. */
    public enum Retry {
        STANDARD,
        FAIL_QUICKLY,
        FAIL_IMMEDIATELY
    }

    /**
     * One wait policy ({@code Repeat_with_uniform_backoff}): each wait lasts a uniformly random time in
     * [min, max]; once the waits add up to {@code total}, the next refusal is final.
     */
    record Policy(Duration min, Duration max, Duration total) {}

    /** The three policies' timings; {@link #XAPI} by default, shorter in tests. */
    record Timings(Policy standard, Policy failQuickly, Policy failImmediately) {
        /**
         * Xapi's values. FAIL_IMMEDIATELY's total is OCaml's {@code min_float}, so Xapi still waits
         * once (up to 3 s, cut short by the early wakeup) before the refusal is final.
         */
        static final Timings XAPI = new Timings(
                new Policy(Duration.ofSeconds(1), Duration.ofSeconds(20), Duration.ofHours(2)),
                new Policy(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(120)),
                new Policy(Duration.ZERO, Duration.ofSeconds(3), Duration.ofNanos(1)));

        Policy of(Retry r) {
            return switch (r) {
                case STANDARD -> standard;
                case FAIL_QUICKLY -> failQuickly;
                case FAIL_IMMEDIATELY -> failImmediately;
            };
        }
    }

    /** Xapi's {@code max_number_of_queueing_threads}: one more waiter than this gets TOO_MANY_PENDING_TASKS. */
    static final int MAX_QUEUED = 100;

    private final Database db;
    private final String hostRef;
    private final String poolRef;
    private final TaskManager tasks;
    private final AllowedOperations allowed;
    private final Timings timings;
    /** Guards the waiters' bookkeeping only; never held while the database is written. */
    private final ReentrantLock global = new ReentrantLock();
    /** Signalled on every unmarking and on a cancel of a waiting task. */
    private final Condition released = global.newCondition();
    /** Signalled when the queue of waiters grows (tests wait for it). */
    private final Condition queueGrew = global.newCondition();
    /** Counts the signals of {@link #released}, so that a waiter misses none. Guarded by {@link #global}. */
    private long wakeups;
    /** Callers currently waiting to retry. Guarded by {@link #global}. */
    private int queued;
    /** The DummyRef key of each task-less call in progress (one key per call, as Xapi's context). */
    private final Map<CallContext, String> dummyKeys = Collections.synchronizedMap(new WeakHashMap<>());

    private final LockPlanRunner plans;

    /**
     * @param db      the database the markings are written to (the pool's: the forwarding stage runs on the master)
     * @param hostRef this host, where a call with no other placement runs
     * @param poolRef the pool, for plans on the pool object
     */
    public Locks(Database db, String hostRef, String poolRef, TaskManager tasks, AllowedOperations allowed) {
        this(db, hostRef, poolRef, tasks, allowed, Timings.XAPI);
    }

    Locks(Database db, String hostRef, String poolRef, TaskManager tasks, AllowedOperations allowed, Timings timings) {
        this.db = db;
        this.hostRef = hostRef;
        this.poolRef = poolRef;
        this.tasks = tasks;
        this.allowed = allowed;
        this.timings = timings;
        this.plans = new LockPlanRunner(this, db.datamodel());
    }

    Database db() {
        return db;
    }

    String hostRef() {
        return hostRef;
    }

    String poolRef() {
        return poolRef;
    }

    TaskManager tasks() {
        return tasks;
    }

    AllowedOperations allowed() {
        return allowed;
    }

    /** {@link AllowedOperations#update} (tests and the lock plans' refreshes). */
    public void updateAllowedOperations(String cls, String ref) {
        allowed.update(cls, ref);
    }

    /** {@link AllowedOperations#updateAll}. */
    public void updateAll() {
        allowed.updateAll();
    }

    /**
     * Check-and-mark {@code cls/ref} with {@code op} in one short locked section (waiting and retrying per
     * {@code retry} on {@code OTHER_OPERATION_IN_PROGRESS}), runs {@code body} with no lock held, then
     * unmarks and recomputes {@code allowed_operations}, whatever the outcome, and wakes the waiters.
     * The marking's key is the call's task, or a {@code DummyRef:|uuid|label} for a call without one.
     *
     * @throws ApiError the checker's refusal, {@code TASK_CANCELLED [task]} if the task was cancelled
     *                  while waiting, {@code TOO_MANY_PENDING_TASKS []} when too many callers wait
     */
    public <T> T withOperation(CallContext ctx, String cls, String ref, String op, Retry retry, Callable<T> body)
            throws Exception {
        String key = key(ctx);
        retrying(ctx, retry, () -> {
            db.transact(tx -> markIn(tx, key, cls, ref, op, true));
            return null;
        });
        try {
            return body.call();
        } finally {
            release(tx -> unmarkIn(tx, key, cls, ref));
        }
    }

    /**
     * Registers {@code step}, run before the lock plan's checks and marks of {@code message}, for what Xapi's
     * {@code message_forwarding.ml} does there with no lock held (e.g. {@code VM.revert} re-creating the
     * snapshot's VM before marking it {@code reverting}). One step per message.
     */
    public void beforeMarking(String message, org.xapijava.server.dispatch.Implementation step) {
        plans.beforeMarking(message, step);
    }

    /**
     * Runs {@code inner} inside the lock plan of the call's message ({@link LockPlan#TABLE}: prechecks, markings
     * undone whatever happens, refreshes after a success); {@code inner} is this host's implementation or the
     * call to the host that runs the message. A message without a plan (or whose plan names an operation the
     * datamodel lacks) runs {@code inner} unmarked.
     */
    public Object withPlan(CallContext ctx, List<Object> args, org.xapijava.server.dispatch.Implementation inner)
            throws Exception {
        return plans.run(ctx, args, inner);
    }

    /** Whether {@code message} has a lock plan that applies. */
    public boolean hasPlan(String message) {
        return plans.hasPlan(message);
    }

    // ------------------------------------------------------------------ keys

    /** The current_operations key of a call: its task, else one DummyRef per call ({@code Ref.make_dummy}). */
    String key(CallContext ctx) {
        if (ctx != null && ctx.taskRef() != null) return ctx.taskRef();
        if (ctx == null) return "DummyRef:|" + UUID.randomUUID() + "|internal";
        return dummyKeys.computeIfAbsent(ctx, c -> "DummyRef:|" + UUID.randomUUID() + "|" + c.label());
    }

    // ------------------------------------------------------------------ waiting

    /**
     * Xapi's {@code retry_with_global_lock}: runs {@code attempt} (one check-and-mark transaction) until
     * it does not throw {@code OTHER_OPERATION_IN_PROGRESS}, waiting between tries per {@code retry}. The
     * caller's task is made cancellable first, as Xapi does.
     */
    <T> T retrying(CallContext ctx, Retry retry, Supplier<T> attempt) throws InterruptedException {
        String task = ctx == null ? null : ctx.taskRef();
        if (task != null) tasks.setCancellable(task, null);
        Policy policy = timings.of(retry);
        long waited = 0;
        boolean hooked = false;
        while (true) {
            if (task != null && tasks.isCancelling(task)) throw new ApiError(ErrorCodes.TASK_CANCELLED, task);
            long seen = wakeupCount(); // before the attempt: an unmarking after it is never missed
            ApiError conflict;
            try {
                return attempt.get();
            } catch (ApiError e) {
                if (!e.code().equals(ErrorCodes.OTHER_OPERATION_IN_PROGRESS)
                        || e.params().isEmpty()) throw e;
                conflict = e;
            }
            if (task != null && !hooked) {
                // a cancel of the task wakes this waiter (replacing no hook of the call's own work: none runs yet)
                tasks.setCancellable(task, this::wakeAll);
                hooked = true;
            }
            waited = queueAndWait(policy, waited, conflict, seen, task);
        }
    }

    /** Xapi's {@code queue_thread} + {@code Policy.wait}: returns the total time waited so far. */
    private long queueAndWait(Policy policy, long waitedSoFar, ApiError conflict, long seen, String task)
            throws InterruptedException {
        global.lock();
        try {
            if (queued > MAX_QUEUED) throw new ApiError(ErrorCodes.TOO_MANY_PENDING_TASKS);
            queued++;
            queueGrew.signalAll();
        } finally {
            global.unlock();
        }
        try {
            if (waitedSoFar >= policy.total().toNanos()) throw conflict;
            long min = policy.min().toNanos();
            long timeout = min
                    + (long) ((policy.max().toNanos() - min)
                            * ThreadLocalRandom.current().nextDouble());
            long start = System.nanoTime();
            global.lock();
            try {
                long remaining = timeout;
                if (task == null || !tasks.isCancelling(task)) {
                    while (wakeups == seen && remaining > 0) remaining = released.awaitNanos(remaining);
                }
            } finally {
                global.unlock();
            }
            return waitedSoFar + (System.nanoTime() - start);
        } finally {
            global.lock();
            try {
                queued--;
            } finally {
                global.unlock();
            }
        }
    }

    private long wakeupCount() {
        global.lock();
        try {
            return wakeups;
        } finally {
            global.unlock();
        }
    }

    /** {@code Early_wakeup.broadcast}: wakes every waiter. */
    void wakeAll() {
        global.lock();
        try {
            wakeups++;
            released.signalAll();
        } finally {
            global.unlock();
        }
    }

    /** Waits until at least {@code n} callers wait to retry, or the timeout passes; returns the count (tests). */
    int awaitQueued(int n, Duration timeout) throws InterruptedException {
        long remaining = timeout.toNanos();
        global.lock();
        try {
            while (queued < n && remaining > 0) remaining = queueGrew.awaitNanos(remaining);
            return queued;
        } finally {
            global.unlock();
        }
    }

    /** Runs {@code unmark} in one transaction, then wakes the waiters; failures are logged, never raised. */
    void release(java.util.function.Consumer<Transaction> unmark) {
        try {
            db.transact(unmark);
        } catch (RuntimeException e) {
            LOG.warn("unmarking failed", e);
        } finally {
            wakeAll();
        }
    }

    // ------------------------------------------------------------------ marking (inside a transaction)

    /**
     * Checks {@code op} on {@code cls/ref}, adds {@code key → op} to its current_operations and
     * recomputes its allowed_operations. Throws the checker's refusal (nothing written).
     */
    void markIn(Transaction tx, String key, String cls, String ref, String op, boolean strict) {
        ApiError e = allowed.refusal(tx, cls, ref, op, strict);
        if (e != null) throw e;
        // Xapi's with_host_operation: during a rolling upgrade only operations old hosts know are recorded
        boolean record = !cls.equals("host") || !Rows.rollingUpgrade(tx) || HostChecker.MIAMI_OPS.contains(op);
        if (record) tx.addToMap(cls, ref, "current_operations", key, op);
        allowed.writeAllowed(tx, cls, ref);
    }

    /** Adds {@code key → op} without a check (the caller checked), and recomputes allowed_operations. */
    void addIn(Transaction tx, String key, String cls, String ref, String op) {
        tx.addToMap(cls, ref, "current_operations", key, op);
        allowed.writeAllowed(tx, cls, ref);
    }

    /** Removes {@code key} from the object's current_operations and recomputes; nothing if the object is gone. */
    void unmarkIn(Transaction tx, String key, String cls, String ref) {
        if (!tx.isValid(cls, ref)) return;
        tx.removeFromMap(cls, ref, "current_operations", key);
        allowed.writeAllowed(tx, cls, ref);
    }

    Snapshot snapshot() {
        return db.snapshot();
    }
}
