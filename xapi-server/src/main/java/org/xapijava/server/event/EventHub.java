package org.xapijava.server.event;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Change;
import org.xapijava.db.Changes;
import org.xapijava.db.Database;
import org.xapijava.db.Snapshot;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.Marshal;
import org.xapijava.model.types.CFloat;
import org.xapijava.server.alerts.MessageEvent;
import org.xapijava.server.alerts.MessageStore;
import org.xapijava.server.session.SessionManager;

/**
 * Xapi's events ({@code ocaml/xapi/xapi_event.ml}) over the database's change feed and the message
 * store: {@code event.from} (token based), the legacy {@code event.register}/{@code next}/{@code
 * unregister} queue, {@code event.inject} and {@code event.get_current_id}. One per server; thread-safe.
 *
 * <h2>How waiting works</h2>
 * A blocked {@code event.from} is a {@code FromCall} registered in an index by lower-case class (and
 * by session) and parked on its own future; no thread per waiter other than the caller's (virtual)
 * thread, no timer thread. One <em>pump</em> follows the database's publications
 * ({@link Database#onGenerationAfter}) and one the message store's ({@link MessageStore#onGenerationAfter});
 * each runs as a short virtual-thread task per publication, never two at once. Per publication the
 * database pump reads the changes since the previous publication once, only in the classes somebody
 * waits for, then completes the futures of the waiters whose subscriptions select a changed object,
 * feeds the {@code event.next} queue, and checks that the sessions of waiters and registrations
 * still exist (a deleted session wakes its waiters with {@code SESSION_INVALID}). A woken waiter
 * sleeps Xapi's batching delay, then reads what changed since its token; waiters that wake on the
 * same snapshot with the same subscriptions and token share one read and the marshalled records.
 *
 * <h2>Departures from Xapi</h2>
 * Snapshots come from the same consistent database state as the changes, so no event is dropped for
 * a vanished object. {@code event.next} sees changes per publication: several changes of one object
 * published together are one event (Xapi: one per write), and an object created and deleted within
 * one publication gives none. Logging out an in-memory (emergency) session is noticed at the next
 * database publication or at the waiter's timeout.
 */
public final class EventHub {
    private static final Logger LOG = LoggerFactory.getLogger(EventHub.class);
    /** Xapi's fallback for a negative, NaN or too large {@code event.from} timeout. */
    static final long DEFAULT_TIMEOUT_NANOS = Duration.ofHours(24).toNanos();
    /** Mtime's largest float span ({@code of_float_ns}: below 2^53 ns, about 104 days). */
    private static final double MAX_SPAN_NANOS = 0x1p53;
    /** Bound on the per-snapshot scan cache (distinct subscription/token pairs). */
    private static final int MAX_CACHED_SCANS = 1024;

    /**
     * Tunables, defaults as in Xapi.
     *
     * @param from          batching of {@code event.from}
     * @param fromTask      batching of {@code event.from} when every subscription is about tasks
     * @param next          batching of {@code event.next}
     * @param maxQueueBytes the {@code event.next} queue cap (bytes of JSON text)
     */
    public record Config(Batching from, Batching fromTask, Batching next, long maxQueueBytes) {
        public static final Config XAPI = new Config(
                Batching.EVENT_FROM, Batching.EVENT_FROM_TASK, Batching.EVENT_NEXT, NextQueue.MAX_QUEUE_BYTES);
    }

    private final Datamodel dm;
    private final Database db;
    private final SessionManager sessions;
    private final MessageStore alerts;
    private final Clock clock;
    private final String poolRef;
    private final Config config;
    private final NextQueue next;
    private final Executor pumpExecutor =
            r -> Thread.ofVirtual().name("event-pump").start(r);

    /** Classes with events, in datamodel order (Xapi's table order for event.from). */
    private final List<String> eventClasses;
    /** Lower-case name → datamodel name, for classes with events. */
    private final Map<String, String> eventClassByLower;
    /** Datamodel name → lower-case name, every class. */
    private final Map<String, String> lowerOf;
    /** Datamodel name → position in the datamodel. */
    private final Map<String, Integer> classOrder;
    /** Every class (table), in the order Xapi lists {@code valid_ref_counts}: names descending. */
    private final List<String> countOrder;

    private final ClassDef messageClass;

    private final ReentrantLock lock = new ReentrantLock();
    /** Calls subscribed to "*". Guarded by lock. */
    private final Set<FromCall> allCalls = new HashSet<>();
    /** Calls by lower-case class they subscribe to (class or object). Guarded by lock. */
    private final Map<String, Set<FromCall>> byClass = new HashMap<>();
    /** Calls by session. Guarded by lock. */
    private final Map<String, Set<FromCall>> bySession = new HashMap<>();

    /** The last snapshot the database pump handled. Written only by the pump. */
    private volatile Snapshot pumped;
    /** The message generation the message pump handled. Only the (serial) message pump touches it. */
    private long msgPumped;

    private volatile SnapCache cache;

    public EventHub(Database db, SessionManager sessions, MessageStore alerts, Clock clock, String poolRef) {
        this(db, sessions, alerts, clock, poolRef, Config.XAPI);
    }

    public EventHub(
            Database db, SessionManager sessions, MessageStore alerts, Clock clock, String poolRef, Config config) {
        this.dm = db.datamodel();
        this.db = db;
        this.sessions = sessions;
        this.alerts = alerts;
        this.clock = clock;
        this.poolRef = poolRef;
        this.config = config;
        this.next = new NextQueue(config.maxQueueBytes());
        List<String> ev = new ArrayList<>();
        Map<String, String> byLower = new HashMap<>();
        Map<String, String> lower = new HashMap<>();
        Map<String, Integer> order = new HashMap<>();
        List<String> all = new ArrayList<>();
        int i = 0;
        for (ClassDef c : dm.classes()) {
            String l = Subscription.asciiLower(c.name());
            lower.put(c.name(), l);
            order.put(c.name(), i++);
            all.add(c.name());
            if (c.events()) {
                ev.add(c.name());
                byLower.put(l, c.name());
            }
        }
        all.sort(Comparator.reverseOrder());
        this.eventClasses = List.copyOf(ev);
        this.eventClassByLower = Map.copyOf(byLower);
        this.lowerOf = Map.copyOf(lower);
        this.classOrder = Map.copyOf(order);
        this.countOrder = List.copyOf(all);
        this.messageClass = dm.cls("message");

        this.pumped = db.snapshot();
        armDatabasePump(pumped.generation());
        if (alerts != null) {
            msgPumped = alerts.generation();
            armMessagePump(msgPumped);
            alerts.subscribe(this::onMessageEvent);
        }
    }

    // ================================================================== event.from

    /**
     * {@code event.from}: blocks until something selected by {@code classes} changed after
     * {@code token}, or the timeout passes; returns Xapi's {@code event_from} struct in RPC form:
     * {@code events} (in Xapi's order: the message store's events reversed, then database adds, mods
     * and dels), {@code valid_ref_counts} (every table, {@link Integer} counts) and the
     * next {@code token}. Events are empty only when the timeout passed.
     *
     * @param timeout seconds; negative, NaN or beyond ~104 days means 24 h
     * @throws ApiError {@code EVENT_FROM_TOKEN_PARSE_FAILURE [token]}; {@code SESSION_INVALID [session]}
     *                  when the session is destroyed while waiting
     */
    public Map<String, Object> from(String session, List<String> classes, String token, double timeout)
            throws InterruptedException {
        long start = System.nanoTime();
        long duration = timeoutNanos(timeout);
        List<Subscription> subs = new ArrayList<>(classes.size());
        for (String c : classes) subs.add(Subscription.parse(c));
        boolean taskOnly = true;
        for (Subscription s : subs) taskOnly &= s.taskOnly();
        Batching batching = taskOnly ? config.fromTask() : config.from();
        EventToken t = EventToken.parse(token);
        while (true) {
            Grab g = fromInner(session, List.copyOf(subs), t, start, duration, batching);
            // With consistent snapshots a grab is only empty on timeout; Xapi loops otherwise.
            if (!g.empty() || expired(start, duration)) return render(g);
        }
    }

    private Grab fromInner(
            String session, List<Subscription> subs, EventToken t, long start, long duration, Batching batching)
            throws InterruptedException {
        List<String> tables = new ArrayList<>();
        for (String c : eventClasses) {
            if (Subscription.anyCovers(subs, lowerOf.get(c))) tables.add(c);
        }
        boolean messages = alerts != null && Subscription.anyCovers(subs, "message");
        FromCall call = new FromCall(session, subs);
        register(call);
        try {
            if (!sessions.isValid(session)) throw new ApiError("SESSION_INVALID", session);
            batching.sleepBefore();
            long since = t.initial() ? -1 : t.db();
            long floor = t.initial() ? 0 : t.db();
            long lastMsg = t.messages();
            long delay = batching.initialNanos();
            while (true) {
                CompletableFuture<Void> signal = call.rearm();
                Grab g = grab(tables, subs, since, floor, messages, lastMsg);
                if (!g.empty() || expired(start, duration)) return g;
                lastMsg = g.msgGen;
                await(call, signal, start, duration);
                since = g.last;
                floor = g.last;
                delay = batching.nextNanos(delay);
                Batching.sleepNanos(delay);
            }
        } finally {
            unregister(call);
        }
    }

    private static boolean expired(long start, long duration) {
        return System.nanoTime() - start >= duration;
    }

    /** Xapi's {@code wait2}: parks until woken, the session dies, or the timer runs out. */
    private static void await(FromCall call, CompletableFuture<Void> signal, long start, long duration)
            throws InterruptedException {
        if (call.invalid) throw new ApiError("SESSION_INVALID", call.session);
        long remaining = duration - (System.nanoTime() - start);
        if (remaining > 0) {
            try {
                signal.get(remaining, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                // the timer ran out: the caller looks once more and returns
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
        if (call.invalid) throw new ApiError("SESSION_INVALID", call.session);
    }

    /** One look at both sources. */
    private Grab grab(
            List<String> tables, List<Subscription> subs, long since, long floor, boolean messages, long lastMsg) {
        List<MessageEvent> msgs = List.of();
        long msgGen = 0;
        if (messages) {
            msgs = alerts.eventsSince(lastMsg);
            msgGen = lastMsg;
            for (MessageEvent m : msgs) msgGen = Math.max(msgGen, m.generation());
        }
        Snapshot s = db.snapshot();
        DbPart p = tables.isEmpty() ? new DbPart(List.of(), floor) : scan(s, tables, subs, since, floor);
        return new Grab(s, p.changes(), p.last(), msgs, msgGen);
    }

    /** The database part of a look, shared by callers looking at the same snapshot the same way. */
    private DbPart scan(Snapshot s, List<String> tables, List<Subscription> subs, long since, long floor) {
        SnapCache c = cacheFor(s);
        ScanKey key = new ScanKey(Set.copyOf(subs), since, floor);
        if (c.scans.size() >= MAX_CACHED_SCANS) return doScan(s, tables, subs, since, floor);
        CompletableFuture<DbPart> mine = new CompletableFuture<>();
        CompletableFuture<DbPart> other = c.scans.putIfAbsent(key, mine);
        if (other != null) return other.join();
        try {
            DbPart p = doScan(s, tables, subs, since, floor);
            mine.complete(p);
            return p;
        } catch (RuntimeException | Error e) {
            c.scans.remove(key, mine);
            mine.completeExceptionally(e);
            throw e;
        }
    }

    private DbPart doScan(Snapshot s, List<String> tables, List<Subscription> subs, long since, long floor) {
        boolean filter = false;
        for (Subscription x : subs) if (x instanceof Subscription.OfObject) filter = true;
        Changes ch = filter
                ? s.changesSince(tables, (cls, ref) -> Subscription.anyMatches(subs, lowerOf.get(cls), ref), since)
                : s.changesSince(tables, since);
        // Xapi's "last": the newest modification or deletion among the reported objects.
        long last = floor;
        List<Change> live = new ArrayList<>();
        List<Change> dels = new ArrayList<>();
        for (Change x : ch.changes()) {
            if (x.op() == Change.Op.DEL) {
                last = Math.max(last, x.id());
                dels.add(x);
            } else {
                last = Math.max(last, s.stat(x.cls(), x.ref()).modified());
                live.add(x);
            }
        }
        // Xapi lists adds, then mods, each in table order and by ref; dels in table order, newest first.
        Comparator<Change> byTableAndRef = Comparator.<Change>comparingInt(x -> x.op() == Change.Op.ADD ? 0 : 1)
                .thenComparingInt(x -> classOrder.get(x.cls()))
                .thenComparing(Change::ref);
        live.sort(byTableAndRef);
        List<Change> all = new ArrayList<>(live.size() + dels.size());
        all.addAll(live);
        all.addAll(dels);
        return new DbPart(List.copyOf(all), last);
    }

    private Map<String, Object> render(Grab g) {
        SnapCache c = cacheFor(g.snapshot);
        List<Object> events = new ArrayList<>(g.messages.size() + g.changes.size());
        for (int i = g.messages.size() - 1; i >= 0; i--) {
            MessageEvent m = g.messages.get(i);
            Map<String, Object> snap = MessageEvent.ADD.equals(m.op()) && m.snapshotOrNull() != null
                    ? Marshal.record(dm, messageClass, m.snapshotOrNull())
                    : null;
            events.add(event("0", "0.0", "message", m.op(), m.ref(), snap));
        }
        for (Change x : g.changes) {
            Map<String, Object> snap = x.op() == Change.Op.DEL ? null : c.record(x.cls(), x.ref());
            events.add(event(Long.toString(x.id()), "0.0", lowerOf.get(x.cls()), opName(x.op()), x.ref(), snap));
        }
        Map<String, Object> out = new LinkedHashMap<>(4);
        out.put("events", events);
        out.put("valid_ref_counts", c.counts());
        out.put("token", EventToken.format(g.last, g.msgGen));
        return out;
    }

    private static Map<String, Object> event(
            String id, String ts, String cls, String op, String ref, Map<String, Object> snapshot) {
        Map<String, Object> e = new LinkedHashMap<>(8);
        e.put("id", id);
        e.put("timestamp", ts);
        e.put("class", cls);
        e.put("operation", op);
        e.put("ref", ref);
        if (snapshot != null) e.put("snapshot", snapshot);
        return e;
    }

    private static String opName(Change.Op op) {
        return switch (op) {
            case ADD -> "add";
            case MOD -> "mod";
            case DEL -> "del";
        };
    }

    /**
     * Xapi's {@code Clock.Timer.s_to_span} with its 24 h fallback: seconds rounded to nanoseconds
     * (half away from zero); negative, NaN, infinite or at least 2^53 ns gives 24 h.
     */
    static long timeoutNanos(double seconds) {
        double x = seconds * 1e9;
        double ns = Math.copySign(Math.floor(Math.abs(x) + 0.5), x);
        if (!(ns >= 0) || ns >= MAX_SPAN_NANOS) return DEFAULT_TIMEOUT_NANOS;
        return (long) ns;
    }

    // ================================================================== event.inject, get_current_id

    /**
     * {@code event.inject}: touches the object (a {@code mod} event for it, nothing else changes) and
     * returns the token just before the touch. {@code cls} must be the object's class exactly as the
     * datamodel spells it.
     *
     * @throws ApiError {@code HANDLE_INVALID [cls, ref]} when {@code ref} is not an object of {@code cls}
     */
    public String inject(String cls, String ref) {
        long g = db.call(tx -> {
            if (!cls.equals(tx.classOf(ref))) throw ApiError.handleInvalid(cls, ref);
            return tx.touch(cls, ref);
        });
        return EventToken.format(g - 1, 0);
    }

    /** {@code event.get_current_id}: the {@code event.next} counter. */
    public long currentId() {
        return next.currentId();
    }

    // ================================================================== event.register, unregister, next

    /** {@code event.register}: adds subscriptions to the session's {@code event.next} registration. */
    public void register(String session, List<String> classes) {
        next.register(session, parseAll(classes));
    }

    /** {@code event.unregister}: removes subscriptions (the session counts as registered afterwards). */
    public void unregister(String session, List<String> classes) {
        next.unregister(session, parseAll(classes));
    }

    private static List<Subscription> parseAll(List<String> classes) {
        List<Subscription> out = new ArrayList<>(classes.size());
        for (String c : classes) out.add(Subscription.parse(c));
        return out;
    }

    /**
     * {@code event.next}: blocks (no timeout) until events selected by the session's registration
     * were queued since its previous call, and returns them (RPC form, oldest first).
     *
     * @throws ApiError {@code SESSION_NOT_REGISTERED ["trackid=<md5>"]} without a registration,
     *                  {@code EVENTS_LOST []} when the queue forgot some, {@code SESSION_INVALID [session]}
     *                  when the session is destroyed while waiting
     */
    public List<Object> next(String session) throws InterruptedException {
        Batching b = config.next();
        while (true) {
            b.sleepBefore();
            NextQueue.Sub sub = next.registered(session);
            long delay = b.initialNanos();
            long[] range;
            while (true) {
                range = next.grabRange(sub);
                if (range[0] != range[1]) break;
                next.await(sub, range[1]);
                delay = b.nextNanos(delay);
                Batching.sleepNanos(delay);
            }
            List<Map<String, Object>> events = next.read(range[0], range[1]);
            List<Subscription> subs = next.subscriptionsOf(sub);
            List<Object> relevant = new ArrayList<>();
            for (Map<String, Object> e : events) {
                if (Subscription.anyMatches(subs, (String) e.get("class"), (String) e.get("ref"))) relevant.add(e);
            }
            if (!relevant.isEmpty()) return relevant;
        }
    }

    /**
     * Xapi's {@code Xapi_event.heartbeat}: queues a {@code mod} of the pool with its current record for
     * {@code event.next} clients (Xapi does this on every database GC pass, every 30 s). No database
     * write: {@code event.from} sees nothing.
     */
    public void heartbeat() {
        if (next.interest().none()) return;
        Snapshot s = db.snapshot();
        String pool = poolRef;
        if (pool == null || !s.exists("pool", pool)) {
            List<String> pools = s.all("pool");
            if (pools.isEmpty()) return;
            pool = pools.get(0);
        }
        String p = pool;
        next.add("pool", "mod", p, nowString(), () -> Marshal.record(dm, dm.cls("pool"), s.getRecord("pool", p)));
    }

    /** Xapi's {@code string_of_float (Unix.time ())}: whole seconds, e.g. {@code "1716300000."}. */
    private String nowString() {
        String g = CFloat.g(clock.instant().getEpochSecond(), 12);
        for (int i = 0; i < g.length(); i++) {
            char ch = g.charAt(i);
            if (ch != '-' && (ch < '0' || ch > '9')) return g;
        }
        return g + ".";
    }

    // ================================================================== waiter index

    private void register(FromCall call) {
        lock.lock();
        try {
            if (call.all) allCalls.add(call);
            for (String c : call.classes)
                byClass.computeIfAbsent(c, k -> new HashSet<>()).add(call);
            bySession.computeIfAbsent(call.session, k -> new HashSet<>()).add(call);
        } finally {
            lock.unlock();
        }
    }

    private void unregister(FromCall call) {
        lock.lock();
        try {
            if (call.all) allCalls.remove(call);
            for (String c : call.classes) {
                Set<FromCall> set = byClass.get(c);
                if (set != null && set.remove(call) && set.isEmpty()) byClass.remove(c);
            }
            Set<FromCall> set = bySession.get(call.session);
            if (set != null && set.remove(call) && set.isEmpty()) bySession.remove(call.session);
        } finally {
            lock.unlock();
        }
    }

    /** Wakes the waiting calls whose subscriptions select one of the changed objects. */
    private void wake(Map<String, Set<String>> changedByLowerClass) {
        if (changedByLowerClass.isEmpty()) return;
        List<FromCall> woken = new ArrayList<>();
        lock.lock();
        try {
            woken.addAll(allCalls);
            for (Map.Entry<String, Set<String>> e : changedByLowerClass.entrySet()) {
                Set<FromCall> calls = byClass.get(e.getKey());
                if (calls == null) continue;
                for (FromCall c : calls) if (!c.all && c.selects(e.getKey(), e.getValue())) woken.add(c);
            }
        } finally {
            lock.unlock();
        }
        for (FromCall c : woken) c.wake();
    }

    /** Xapi's {@code on_session_deleted}: waiters of the session fail with SESSION_INVALID; its registration goes. */
    private void sessionDeleted(String session) {
        Set<FromCall> calls;
        lock.lock();
        try {
            calls = bySession.remove(session);
        } finally {
            lock.unlock();
        }
        if (calls != null) {
            for (FromCall c : calls) {
                c.invalid = true;
                c.wake();
            }
        }
        next.sessionDeleted(session);
    }

    // ================================================================== pumps

    private void armDatabasePump(long generation) {
        db.onGenerationAfter(generation)
                .whenCompleteAsync(
                        (g, err) -> {
                            if (err == null) pumpDatabase();
                        },
                        pumpExecutor);
    }

    /** Handles every publication since the previous run; re-arms itself. */
    private void pumpDatabase() {
        Snapshot prev = pumped;
        Snapshot s = db.snapshot();
        try {
            if (s.generation() > prev.generation()) {
                List<String> classes = interestingClasses();
                if (!classes.isEmpty()) {
                    Changes ch = s.changesSince(classes, prev.generation() - 1);
                    if (!ch.changes().isEmpty()) {
                        Map<String, Set<String>> changed = new HashMap<>();
                        for (Change x : ch.changes()) {
                            changed.computeIfAbsent(lowerOf.get(x.cls()), k -> new HashSet<>())
                                    .add(x.ref());
                        }
                        wake(changed);
                        queueForNext(ch.changes(), prev, s);
                    }
                }
                checkSessions();
            }
        } catch (RuntimeException e) {
            LOG.warn("event pump failed at generation {}", s.generation(), e);
        } finally {
            if (s.generation() > prev.generation()) pumped = s;
            armDatabasePump(pumped.generation());
        }
    }

    /** Datamodel names of the classes some waiter or registration wants, in datamodel order. */
    private List<String> interestingClasses() {
        boolean all;
        Set<String> lower;
        lock.lock();
        try {
            all = !allCalls.isEmpty();
            lower = all ? Set.of() : new HashSet<>(byClass.keySet());
        } finally {
            lock.unlock();
        }
        NextQueue.Interest ni = next.interest();
        if (all || ni.all()) return eventClasses;
        if (lower.isEmpty() && ni.classes().isEmpty()) return List.of();
        lower.addAll(ni.classes());
        List<String> out = new ArrayList<>();
        for (String c : eventClasses) if (lower.contains(lowerOf.get(c))) out.add(c);
        return out;
    }

    private void queueForNext(List<Change> changes, Snapshot prev, Snapshot s) {
        if (next.interest().none()) return;
        List<Change> ordered = new ArrayList<>(changes);
        ordered.sort(Comparator.comparingLong(Change::id));
        String ts = nowString();
        for (Change x : ordered) {
            Snapshot from = x.op() == Change.Op.DEL ? prev : s;
            next.add(
                    lowerOf.get(x.cls()),
                    opName(x.op()),
                    x.ref(),
                    ts,
                    () -> from.exists(x.cls(), x.ref())
                            ? Marshal.record(dm, dm.cls(x.cls()), from.getRecord(x.cls(), x.ref()))
                            : null);
        }
    }

    private void checkSessions() {
        Set<String> known;
        lock.lock();
        try {
            known = new HashSet<>(bySession.keySet());
        } finally {
            lock.unlock();
        }
        known.addAll(next.sessions());
        for (String s : known) {
            if (!sessions.isValid(s)) sessionDeleted(s);
        }
    }

    private void armMessagePump(long generation) {
        alerts.onGenerationAfter(generation)
                .whenCompleteAsync(
                        (g, err) -> {
                            if (err == null) pumpMessages(g); // an error is the store closing: stop following it
                        },
                        pumpExecutor);
    }

    private void pumpMessages(long published) {
        long upTo = Math.max(msgPumped, published);
        try {
            List<MessageEvent> evs = alerts.eventsSince(msgPumped);
            Set<String> refs = new HashSet<>();
            for (MessageEvent e : evs) {
                upTo = Math.max(upTo, e.generation());
                refs.add(e.ref());
            }
            if (!refs.isEmpty()) wake(Map.of("message", refs));
        } catch (RuntimeException e) {
            LOG.warn("message event pump failed", e);
        } finally {
            msgPumped = upTo;
            armMessagePump(upTo);
        }
    }

    /** The message store's feed for {@code event.next} (called under the store's lock: quick). */
    private void onMessageEvent(MessageEvent e) {
        if (next.interest().none()) return;
        Map<String, Object> rec = e.snapshotOrNull();
        next.add(
                "message",
                e.op(),
                e.ref(),
                nowString(),
                () -> rec == null ? null : Marshal.record(dm, messageClass, rec));
    }

    // ================================================================== helpers

    private SnapCache cacheFor(Snapshot s) {
        SnapCache c = cache;
        if (c != null && c.snapshot == s) return c;
        SnapCache n = new SnapCache(s);
        if (c == null || c.snapshot.generation() <= s.generation()) cache = n;
        return n;
    }

    /** What one look found. */
    private record Grab(Snapshot snapshot, List<Change> changes, long last, List<MessageEvent> messages, long msgGen) {
        boolean empty() {
            return changes.isEmpty() && messages.isEmpty();
        }
    }

    private record DbPart(List<Change> changes, long last) {}

    private record ScanKey(Set<Subscription> subs, long since, long floor) {}

    /** Per-snapshot results shared by the calls reading the same snapshot. The maps handed out are read-only. */
    private final class SnapCache {
        final Snapshot snapshot;
        final ConcurrentHashMap<ScanKey, CompletableFuture<DbPart>> scans = new ConcurrentHashMap<>();
        final ConcurrentHashMap<String, Map<String, Object>> records = new ConcurrentHashMap<>();
        private volatile Map<String, Object> counts;

        SnapCache(Snapshot snapshot) {
            this.snapshot = snapshot;
        }

        Map<String, Object> record(String cls, String ref) {
            Map<String, Object> r = records.get(ref);
            if (r != null) return r;
            r = java.util.Collections.unmodifiableMap(Marshal.record(dm, dm.cls(cls), snapshot.getRecord(cls, ref)));
            Map<String, Object> raced = records.putIfAbsent(ref, r);
            return raced == null ? r : raced;
        }

        /** Row count of every table ({@link Integer}: XML-RPC {@code <i4>}), names descending as Xapi lists them. */
        Map<String, Object> counts() {
            Map<String, Object> c = counts;
            if (c != null) return c;
            Map<String, Integer> n = snapshot.validRefCounts();
            Map<String, Object> out = new LinkedHashMap<>(countOrder.size() * 2);
            for (String cls : countOrder) {
                String l = lowerOf.get(cls);
                Integer v = n.get(l);
                out.put(l, v == null ? Integer.valueOf(0) : v);
            }
            c = java.util.Collections.unmodifiableMap(out);
            counts = c;
            return c;
        }
    }
}
