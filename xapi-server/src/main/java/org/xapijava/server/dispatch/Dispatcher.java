package org.xapijava.server.dispatch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.Lifecycle;
import org.xapijava.model.MessageDef;
import org.xapijava.model.MessageKind;
import org.xapijava.model.ParamDef;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.Marshal;
import org.xapijava.model.rpc.Unmarshal;
import org.xapijava.model.rpc.Utf8Check;
import org.xapijava.model.types.XType;
import org.xapijava.model.xmlrpc.XmlRpcWriter;
import org.xapijava.server.client.InProcessTransport;
import org.xapijava.server.session.SessionInfo;
import org.xapijava.server.session.SessionManager;
import org.xapijava.server.task.TaskManager;

/**
 * One call, whatever door it came in by, through Xapi's stages in Xapi's order
 * ({@code api_server.ml:callback1}, generated {@code Server.dispatch_call}, {@code server_helpers.ml}):
 * UTF-8 check, resolution ({@code Async.}, {@code Class_method}, unknown methods), arity with trailing
 * defaults, removed messages (session check only, nothing else decoded), typed decoding, session check,
 * async mode, RBAC, task, the {@link ForwardingStage} (locks, placement: here or another host), the
 * implementation, result encoding. The order decides which error a client sees first. Thread-safe; each call runs on
 * the caller's (virtual) thread, an async call on a new virtual thread.
 */
public final class Dispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    private static final String ASYNC = "Async.";
    private static final String INTERNAL_ASYNC = "InternalAsync.";

    /**
     * The outcome of a call: a success value in RPC form, possibly to be written bare (not wrapped in
     * Status/Value, as Xapi answers {@code system.listMethods}), or an error.
     */
    public record Outcome(Object value, boolean bare, ApiError error) {
        public static Outcome success(Object v) {
            return new Outcome(v, false, null);
        }

        public static Outcome failure(ApiError e) {
            return new Outcome(null, false, e);
        }

        public boolean ok() {
            return error == null;
        }
    }

    private final Db data;
    private final SessionManager sessions;
    private final TaskManager tasks;
    private final Datamodel dm;
    private final MessageTable table;
    private final Authorizer authorizer;
    private final ForwardingStage forwarding;
    private final ImplicitMessages implicit = new ImplicitMessages();
    private volatile RoleGate role = RoleGate.MASTER;

    /** A dispatcher whose calls all run here, with no lock plans (unit tests of the stages before). */
    public Dispatcher(Db data, SessionManager sessions, TaskManager tasks, MessageTable table, Authorizer authorizer) {
        this(data, sessions, tasks, table, authorizer, ForwardingStage.local());
    }

    /**
     * @param data     the database as calls reach it ({@link CallContext#data()})
     * @param sessions checks each call's session
     * @param tasks    the tasks of asynchronous calls and their progress and cancellation
     */
    public Dispatcher(
            Db data,
            SessionManager sessions,
            TaskManager tasks,
            MessageTable table,
            Authorizer authorizer,
            ForwardingStage forwarding) {
        this.data = data;
        this.sessions = sessions;
        this.tasks = tasks;
        this.dm = table.datamodel();
        this.table = table;
        this.authorizer = authorizer;
        this.forwarding = forwarding;
    }

    public MessageTable table() {
        return table;
    }

    /** Where allowed and denied calls are reported (Xapi's RBAC audit log); null: nowhere. */
    private volatile AuditTrail audit;

    /** Reports every call with a session to {@code trail} from now on (Xapi's {@code rbac_audit.ml}). */
    public void setAuditTrail(AuditTrail trail) {
        this.audit = trail;
    }

    /** What this host's pool role lets in ({@link RoleGate#MASTER} until set). */
    public void setRoleGate(RoleGate gate) {
        this.role = gate;
    }

    /** This host's internal session, made on first use (a local, unrestricted one, as Xapi's pool session). */
    private volatile String internalSession;

    /**
     * The typed XenAPI over this dispatcher, with the internal session, whose calls run under {@code task}
     * (null: each call under a task of its own, as a client's).
     */
    public XenApi internalApi(String task) {
        String s = internalSession;
        if (s == null) {
            synchronized (this) {
                if (internalSession == null) internalSession = sessions.internalLogin();
                s = internalSession;
            }
        }
        return new XenApi(new InProcessTransport(this, Caller.internalUnder(task)), s);
    }

    /** Runs one call; never throws (every failure becomes an error outcome). */
    public Outcome dispatch(String method, List<Object> params, Caller caller) {
        try {
            return run(method, params, caller);
        } catch (ApiError e) {
            return Outcome.failure(e);
        } catch (Exception e) {
            return Outcome.failure(toApiError(method, e));
        }
    }

    /** Maps an unexpected exception to Xapi's INTERNAL_ERROR (logged: it is a bug or a broken invariant). */
    public static ApiError toApiError(String method, Throwable e) {
        if (e instanceof ApiError a) return a;
        LOG.warn("{} failed with an internal error", method, e);
        if (e instanceof IllegalArgumentException) return ApiError.internal("Invalid argument: " + e.getMessage());
        return ApiError.internal(String.valueOf(e));
    }

    private Outcome run(String method, List<Object> params, Caller caller) throws Exception {
        // Xapi's generated dispatch_call checks every parameter before it even looks at the name
        Utf8Check.checkParams(params);
        if ("system.listMethods".equals(method)) return new Outcome(table.listMethods(), true, null);
        if (method.startsWith("system.isAlive:")) return Outcome.success(params.isEmpty() ? "" : params.get(0));

        boolean async = false;
        String name = method;
        if (name.startsWith(ASYNC)) {
            async = true;
            name = name.substring(ASYNC.length());
        } else if (name.startsWith(INTERNAL_ASYNC)) {
            async = true;
            name = name.substring(INTERNAL_ASYNC.length());
        }
        MessageTable.Entry entry = table.entry(name);
        if (entry == null) return unknownMethod(name, params);
        MessageDef m = entry.message();

        checkArity(m, params);
        if (m.lifecycle() == Lifecycle.REMOVED) {
            // Xapi's generated stub of a removed message decodes nothing but the session
            if (!m.sessionless()) sessions.check((String) Unmarshal.fromRpc(dm, XType.STRING, params.get(0)));
            throw new ApiError("MESSAGE_REMOVED");
        }
        List<Object> args = decode(m, params);
        RoleGate gate = role;
        ApiError refused = gate.beforeSession(m, caller);
        if (refused != null) throw refused;
        SessionInfo session = null;
        if (!m.sessionless()) {
            session = sessions.check((String) Unmarshal.fromRpc(dm, XType.STRING, params.get(0)));
            refused = gate.afterSession(m, session, caller);
            if (refused != null) throw refused;
            if (m.poolInternal() && !session.pool() && !session.local()) {
                throw ApiError.internal(
                        "Internal API \"" + m.wireName() + "\" call attempted with non-pool (external) session");
            }
        }
        if (async && !m.async()) {
            throw new ApiError("Fault", "No async mode for this operation (rpc: " + m.wireName() + ")");
        }
        AuditTrail trail = session == null ? null : audit;
        if (session != null && !session.unrestricted()) {
            try {
                authorizer.check(session, m, args);
            } catch (ApiError denied) {
                if (trail != null) trail.record(session, m, args, true, null);
                throw denied;
            }
        }
        if (trail == null || async) return execute(m, entry, args, caller, session, async);
        try {
            Outcome o = execute(m, entry, args, caller, session, false);
            trail.record(session, m, args, false, null);
            return o;
        } catch (Exception e) {
            trail.record(session, m, args, false, toApiError(m.wireName(), e));
            throw e;
        }
    }

    /** The call's implementation, after RBAC: as a task when async, else in the caller's or a new task. */
    private Outcome execute(
            MessageDef m,
            MessageTable.Entry entry,
            List<Object> args,
            Caller caller,
            SessionInfo session,
            boolean async)
            throws Exception {

        Implementation impl = entry.implementation();
        if (impl == null) {
            if (m.kind() == MessageKind.EXPLICIT) throw new ApiError("NOT_IMPLEMENTED", m.wireName());
            impl = implicit;
        }
        String label = async ? ASYNC + m.wireName() : m.wireName();
        CallContext ctx = new CallContext(data, tasks, m, label, caller, session, null, this::internalApi);
        if (async) return Outcome.success(startAsync(ctx, impl, args));
        String forwardedTask = caller.header("task-id");
        if (forwardedTask != null && !forwardedTask.isEmpty()) {
            return Outcome.success(encode(m, forwarding.run(ctx.withTask(forwardedTask), args, impl)));
        }
        if (m.async() && !noTaskFor(m)) {
            // Xapi makes a task for every call of an async-capable message, sync ones too, and deletes it after
            String task = newTask(ctx);
            try {
                return Outcome.success(encode(m, forwarding.run(ctx.withTask(task), args, impl)));
            } finally {
                tasks.forget(task);
            }
        }
        return Outcome.success(encode(m, forwarding.run(ctx, args, impl)));
    }

    /** Xapi's {@code no_task_id_for}: calls on tasks and events never get a task of their own. */
    private static boolean noTaskFor(MessageDef m) {
        return m.cls().equals("task") || m.cls().equals("event");
    }

    private String newTask(CallContext ctx) {
        Map<String, String> oc = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : ctx.caller().headers().entrySet()) {
            if (h.getKey().startsWith("x-http-other-config-")) {
                oc.put("http:" + h.getKey().substring("x-http-other-config-".length()), h.getValue());
            }
        }
        return tasks.create(ctx.label(), "", ctx.sessionRef(), ctx.caller().header("subtask-of"), oc);
    }

    private String startAsync(CallContext ctx, Implementation impl, List<Object> args) {
        String task = newTask(ctx);
        CallContext tctx = ctx.withTask(task);
        Thread.ofVirtual().name("task " + ctx.label()).start(() -> {
            AuditTrail trail = ctx.session() == null ? null : audit;
            try {
                Object v = encode(ctx.message(), forwarding.run(tctx, args, impl));
                tasks.complete(task, XmlRpcWriter.toString(v));
                if (trail != null) trail.record(ctx.session(), ctx.message(), args, false, null);
            } catch (Throwable e) {
                ApiError err = toApiError(ctx.label(), e);
                if (trail != null) trail.record(ctx.session(), ctx.message(), args, false, err);
                try {
                    tasks.fail(task, err, null);
                } catch (RuntimeException e2) {
                    LOG.warn("could not record the failure of task {}", task, e2);
                }
            }
        });
        return task;
    }

    private Object encode(MessageDef m, Object result) {
        if (result instanceof RawRpc raw) return raw.value();
        return Marshal.toRpc(dm, m.result(), result);
    }

    /**
     * Arity. Counts exclude the session. A message whose trailing parameters have defaults accepts the
     * missing ones and ignores extra ones; others need the exact count.
     */
    private static void checkArity(MessageDef m, List<Object> params) {
        List<ParamDef> all = m.params();
        int required = 0;
        boolean hasDefaults = false;
        for (ParamDef p : all) {
            if (p.hasDefault()) hasDefaults = true;
            else required++;
        }
        int n = params.size();
        if (hasDefaults ? n < required : n != all.size()) {
            int expected = m.callParams().size();
            int received = m.sessionless() ? n : n - 1;
            throw new ApiError(
                    "MESSAGE_PARAMETER_COUNT_MISMATCH",
                    m.wireName(),
                    Integer.toString(expected),
                    Integer.toString(received));
        }
    }

    /** Typed decoding of the parameters after the session (arity already checked); defaults fill the rest. */
    private List<Object> decode(MessageDef m, List<Object> params) {
        List<ParamDef> all = m.params();
        int n = params.size();
        int first = m.sessionless() ? 0 : 1;
        List<Object> out = new ArrayList<>(all.size() - first);
        for (int i = first; i < all.size(); i++) {
            ParamDef p = all.get(i);
            if (i >= n) {
                out.add(p.defaultValue());
                continue;
            }
            Object v = params.get(i);
            if (m.kind() == MessageKind.CREATE && p.type() instanceof XType.RecordType r) {
                ClassDef cls = dm.cls(r.cls());
                out.add(Unmarshal.constructorRecord(dm, cls, v));
            } else {
                out.add(Unmarshal.fromRpc(dm, p.type(), v));
            }
        }
        return out;
    }

    /**
     * Xapi's fall-through: without parameters, {@code MESSAGE_METHOD_UNKNOWN}; with some, the first is
     * checked as a session and the caller needs {@code host.call_extension} before the same answer
     * (we run no extensions).
     */
    private Outcome unknownMethod(String name, List<Object> params) {
        if (!params.isEmpty()) {
            Object first = params.get(0);
            String ref = first instanceof String s ? s : String.valueOf(first);
            SessionInfo s = sessions.check(ref);
            if (!s.unrestricted()) authorizer.checkPermission(s, "host.call_extension");
        }
        throw new ApiError("MESSAGE_METHOD_UNKNOWN", name);
    }
}
