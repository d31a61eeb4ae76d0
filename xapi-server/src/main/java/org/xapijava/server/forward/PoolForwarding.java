package org.xapijava.server.forward;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xapijava.db.Db;
import org.xapijava.model.Datamodel;
import org.xapijava.model.MessageDef;
import org.xapijava.model.ParamDef;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.api.Task;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.Marshal;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.ForwardingStage;
import org.xapijava.server.dispatch.Implementation;
import org.xapijava.server.dispatch.RawRpc;
import org.xapijava.server.dispatch.ReplicationBarrier;
import org.xapijava.server.ops.Locks;

/**
 * The pool master's forwarding stage (Xapi's {@code message_forwarding.ml}): the message's lock plan (checks and
 * markings, held for the whole call, {@link Locks#withPlan}), and inside it the {@link Placements placement}:
 * here, this host's implementation runs; on another host, the task is marked forwarded to it
 * ({@code set_forwarding_on_task}), the host must be live ({@code HOST_OFFLINE [host]} otherwise), and the same
 * message is called there through {@link HostClients} under the same task. The result comes back in RPC form,
 * after the {@link #afterForwarded} step; once the plan released its markings, the {@link #afterSuccess} step.
 * Thread-safe.
 */
public final class PoolForwarding implements ForwardingStage {
    private final Datamodel dm;
    private final Db db;
    private final String thisHost;
    private final Locks locks;
    private final Placements placements;
    private final HostClients hosts;
    private final ReplicationBarrier replication;
    private volatile java.util.function.BiConsumer<String, List<Object>> afterForwarded = (m, a) -> {};
    private volatile AfterSuccess afterSuccess = (m, a, r, b) -> {};
    /** Per message (wire name), the step run on the master before it is placed ({@link #beforePlacing}). */
    private final Map<String, java.util.function.Consumer<List<Object>>> beforePlacing = new ConcurrentHashMap<>();

    public PoolForwarding(
            Datamodel dm, Db db, String thisHost, Locks locks, HostClients hosts, ReplicationBarrier replication) {
        this.replication = replication;
        this.dm = dm;
        this.db = db;
        this.thisHost = thisHost;
        this.locks = locks;
        this.placements = new Placements(dm);
        this.hosts = hosts;
    }

    @Override
    public Object run(CallContext ctx, List<Object> args, Implementation local) throws Exception {
        long mark = replication.mark();
        try {
            String name = ctx.message().wireName();
            AfterSuccess then = afterSuccess;
            Object[] before = new Object[1];
            Object result = locks.withPlan(ctx, args, (c, a) -> {
                before[0] = then.before(name, a);
                return place(c, a, local);
            });
            then.after(name, args, result instanceof RawRpc raw ? raw.value() : result, before[0]);
            return result;
        } finally {
            replication.await(mark); // the answer leaves once the members hold what the call wrote
        }
    }

    private Object place(CallContext ctx, List<Object> args, Implementation local) throws Exception {
        MessageDef m = ctx.message();
        java.util.function.Consumer<List<Object>> before = beforePlacing.get(m.wireName());
        if (before != null) before.accept(args);
        String host = placements.hostFor(m.wireName(), db, args);
        if (host == null || host.equals(thisHost)) return local.invoke(ctx, args);
        assertLive(host);
        String task = ctx.taskRef();
        if (task != null && db.exists(Task.XAPI_CLASS, task)) {
            try {
                db.apply(org.xapijava.db.Update.builder()
                        .exists(Task.XAPI_CLASS, task)
                        .set(task, Task.FORWARDED, true)
                        .set(task, Task.FORWARDED_TO, host)
                        .set(task, Task.RESIDENT_ON, host)
                        .build());
            } catch (Db.Conflict gone) {
                // the task was destroyed meanwhile: nothing to mark
            }
        }
        RawRpc result = new RawRpc(hosts.call(host, m.wireName(), toRpc(m, args), task));
        afterForwarded.accept(m.wireName(), args);
        return result;
    }

    /**
     * {@code then} runs after each call that another host ran successfully, with the message's wire name and its
     * decoded arguments (after the session): what Xapi's {@code message_forwarding.ml} does on the master once the
     * host answered ({@code push_rrd} after a VM start). It must not throw.
     */
    public void afterForwarded(java.util.function.BiConsumer<String, List<Object>> then) {
        this.afterForwarded = then;
    }

    /**
     * {@code then} runs on the master after each call that succeeded, here or on another host, once its lock plan
     * released what it marked: Xapi's {@code message_forwarding.ml} makes a VM operation's message there ({@code
     * create_vm_message}).
     */
    public void afterSuccess(AfterSuccess then) {
        this.afterSuccess = then;
    }

    /** A step after each successful call on the master ({@link #afterSuccess}); its methods must not throw. */
    public interface AfterSuccess {
        /**
         * Inside the lock plan, before the call is placed: what {@link #after} will need from the database as it was
         * before the call (the host a VM ran on before a migration), or null.
         */
        default Object before(String wireName, List<Object> args) {
            return null;
        }

        /**
         * After the call of {@code wireName} with {@code args} (decoded, after the session) returned {@code result}
         * (decoded: a reference as its string; null for a void call), {@code before} from {@link #before}.
         */
        void after(String wireName, List<Object> args, Object result, Object before);
    }

    /**
     * {@code step} runs on the master for each call of {@code wireName}, with its decoded arguments (after the
     * session), inside the lock plan and before the call is placed: what Xapi's {@code message_forwarding.ml} does
     * first ({@code Xapi_sync.sync_host} before {@code pool.designate_new_master}).
     */
    public void beforePlacing(String wireName, java.util.function.Consumer<List<Object>> step) {
        beforePlacing.put(wireName, step);
    }

    /** Xapi's {@code check_live}: a host whose metrics say it is not live is not called. */
    private void assertLive(String host) {
        String metrics = db.get(host, Host.METRICS);
        if (!db.exists(HostMetrics.XAPI_CLASS, metrics) || !db.get(metrics, HostMetrics.LIVE)) {
            throw new ApiError(ErrorCodes.HOST_OFFLINE, host);
        }
    }

    /** The decoded arguments (after the session) back in RPC form, by the message's parameter types. */
    private List<Object> toRpc(MessageDef m, List<Object> args) {
        List<ParamDef> ps = m.callParams();
        List<Object> out = new ArrayList<>(args.size());
        for (int i = 0; i < args.size(); i++)
            out.add(Marshal.toRpc(dm, ps.get(i).type(), args.get(i)));
        return out;
    }
}
