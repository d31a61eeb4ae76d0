package org.xapijava.server.alerts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.WhereExpr;
import org.xapijava.model.Datamodel;
import org.xapijava.model.EnumDef;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.model.rpc.Unmarshal;
import org.xapijava.model.rpc.Utf8Check;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.model.types.XType;

/**
 * The store of XenAPI {@code message} objects (alerts), kept apart from the database as Xapi's
 * {@code ocaml/xapi/xapi_message.ml} does, with the same API behaviour, errors and orderings.
 *
 * <h2>On disk</h2>
 * One file per message directly under the store directory (Xapi: {@code /var/lib/xcp/blobs/messages}),
 * named by the creation time in seconds with five decimals ({@code 1716300000.12345}); when that name
 * is taken the next one, 10 µs later, is used, as Xapi does. The content is Xapi's XML (see
 * {@link MessageXml}), so a directory written by Xapi loads here. Each file is written to a temporary
 * file ({@code .tmp-*}), forced to disk, hard-linked to its final name (so an existing file is never
 * replaced) and the directory is forced: a message is durable before {@code create} returns, and a
 * crash leaves either no file or the whole file. Xapi's symlink indexes ({@code refs/}, {@code uuids/},
 * {@code gen/}, {@code <cls>/<uuid>/}) are neither written nor read: the indexes live in memory.
 * Files whose name is not a decimal number, and subdirectories, are ignored; a file that is not a
 * message is skipped with a warning naming it, left in place, and not counted towards the cap.
 *
 * <h2>Generations and events</h2>
 * Every create and every deletion takes the next value of the store's generation counter. Xapi uses
 * the database's generation counter for this; here the store has its own (the message half of an
 * {@code event.from} token), kept monotonic across restarts: a message file records the generation it
 * was written at, and {@value #RESERVATION_FILE} records an upper bound reserved ahead of use
 * ({@value #GENERATION_RESERVE} at a time). Changes become visible strictly in generation order: a
 * change whose I/O finished early waits (in memory, not on a lock) for those before it, so a reader that
 * has seen generation {@code g} can never later be shown a change numbered below {@code g}.
 *
 * <h2>The cap</h2>
 * Xapi's {@code messages-limit} (default {@value #DEFAULT_MESSAGE_LIMIT}): when a create makes the store
 * hold more messages, the oldest by creation time (file name) are destroyed, each with its {@code del}
 * event, as Xapi's {@code Xapi_message.gc} does (Xapi runs that check from its periodic GC instead of on
 * create). As Xapi's, an eviction's unlink is not forced (a store at its cap would otherwise force the directory
 * at every create): a file back after a crash is among the oldest and is evicted again at open, where a directory
 * holding more messages than the cap is evicted likewise. Its warning is logged at most once a minute.
 *
 * <h2>Threads</h2>
 * Thread-safe. Reads of messages ({@link #getRecord}, {@link #getAll}, ...) take no lock and are weakly
 * consistent: they see every change made visible before they started. One short lock orders the store's
 * bookkeeping: generation and file-name allocation and making a finished change visible (in-memory map
 * updates, and {@link #subscribe} listeners, which are called under it). {@link #eventsSince} takes it to
 * read a consistent cut. No file is written, removed or forced under the lock, with one exception: the
 * reservation file, forced under the lock once every {@value #GENERATION_RESERVE} generations.
 *
 * <h2>Parts</h2>
 * This class holds the API and the changes (create, import, destroy, eviction). Beside it: {@link MessageIndex}
 * (the visible messages in memory and their orders), {@link MessageGenerations} (handing out generations,
 * publishing changes in order, waiting for a generation), {@link MessageFileKeys} (file names and the keys in use),
 * {@link MessageFiles} (writing and forcing files), {@link MessageDirectory} (what is read at open) and
 * {@link MessageXml} (the file format).
 */
public final class MessageStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MessageStore.class);

    /** Xapi's default {@code messages-limit} ({@code xapi_globs.ml:message_limit}). */
    public static final int DEFAULT_MESSAGE_LIMIT = 10_000;
    /** Xapi remembers at most this many deletions for {@code event.from} ({@code xapi_message.ml:deleted}) ... */
    static final int DELETED_MAX = 1024;
    /** ... and then keeps only the newest this many. */
    static final int DELETED_KEEP = 512;
    /** Generations reserved on disk per write of {@value #RESERVATION_FILE}: one small fsync per that many changes. */
    static final long GENERATION_RESERVE = 4096;
    /** Holds the reserved generation bound; not a decimal number, so Xapi and this store skip it as a message. */
    static final String RESERVATION_FILE = ".generation-reserved";
    /** Prefix of files being written; leftovers of a crash are removed at open. */
    static final String TEMP_PREFIX = ".tmp-";
    /** How often at most the store says it is over its limit (Xapi's gc says it once a pass). */
    private static final long OVER_LIMIT_WARNING_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);

    private final Path dir;
    /** Writes and forces the directory's files (those of {@link #createForcedLater} in the background). */
    private final MessageFiles files;

    private final ObjectExistence existence;
    private final int limit;
    private final InstantSource clock;
    final EnumDef clsEnum;

    /** Orders allocation and publication; see the class comment for what it guards. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Generation allocation, publication in order, waiting for a generation. */
    private final MessageGenerations generations;
    /** When it last said so (at first: long enough ago), and how many it evicted since. Guarded by {@code lock}. */
    private long lastOverLimitWarning = System.nanoTime() - OVER_LIMIT_WARNING_NANOS;

    private long overLimitEvictions;
    /** File keys in use or being written, damaged files included (guarded by lock). */
    private final MessageFileKeys fileKeys = new MessageFileKeys();
    /** Refs of visible messages whose deletion is under way (guarded by lock). */
    private final Set<String> deleting = new HashSet<>();
    /** Recent deletions, newest (highest generation) first (guarded by lock). */
    private final ArrayDeque<Deletion> deleted = new ArrayDeque<>();

    private volatile boolean closed;
    /** The visible messages; changed only under lock, read without it. */
    private final MessageIndex messages = new MessageIndex();

    private final List<Consumer<MessageEvent>> listeners = new CopyOnWriteArrayList<>();

    private record Deletion(long generation, String ref, StoredMessage message) {}

    /** A registration made by {@link #subscribe}; closing it stops the deliveries. */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    private MessageStore(Path dir, ObjectExistence existence, int limit, InstantSource clock) {
        this.dir = dir;
        this.files = new MessageFiles(dir);
        this.generations = new MessageGenerations(lock, files, dir.resolve(RESERVATION_FILE));
        this.existence = existence;
        this.limit = limit;
        this.clock = clock;
        this.clsEnum = Objects.requireNonNull(Datamodel.get().enumDef("cls"), "datamodel enum cls");
    }

    /** {@link #open(Path, ObjectExistence, int, InstantSource)} with Xapi's default cap and the system clock. */
    public static MessageStore open(Path dir, ObjectExistence exists) throws IOException {
        return open(dir, exists, DEFAULT_MESSAGE_LIMIT, InstantSource.system());
    }

    /**
     * Opens (creating it, mode 0700, if needed) the store in {@code dir} and loads every message file in
     * it; damaged files are skipped with a warning; messages beyond {@code messageLimit} are evicted.
     *
     * @param exists       the object check of {@code message.create} and {@code message.get}
     * @param messageLimit Xapi's {@code messages-limit}, at least 1
     * @param clock        the source of message timestamps
     * @throws IOException when the directory cannot be created or listed
     */
    public static MessageStore open(Path dir, ObjectExistence exists, int messageLimit, InstantSource clock)
            throws IOException {
        Objects.requireNonNull(dir);
        Objects.requireNonNull(exists);
        Objects.requireNonNull(clock);
        if (messageLimit < 1) throw new IllegalArgumentException("messageLimit " + messageLimit);
        MessageStore s = new MessageStore(dir, exists, messageLimit, clock);
        s.load();
        s.evictOverLimit();
        return s;
    }

    // ------------------------------------------------------------------ loading

    private void load() throws IOException {
        MessageDirectory.Loaded l = MessageDirectory.read(dir, clsEnum);
        fileKeys.addAll(l.keys());
        long maxGeneration = l.reservation();
        for (StoredMessage m : l.messages()) {
            if (messages.holds(m.ref, m.uuid) || messages.holdsFileKey(m.fileKey)) {
                LOG.warn(
                        "Skipping message file {}: ref {} or uuid {} already loaded from another file",
                        dir.resolve(m.fileName),
                        m.ref,
                        m.uuid);
                continue;
            }
            messages.add(m);
            maxGeneration = Math.max(maxGeneration, m.generation);
        }
        generations.start(maxGeneration);
        LOG.debug("Loaded {} messages from {}; generation {}", messages.size(), dir, maxGeneration);
    }

    // ------------------------------------------------------------------ writes

    /**
     * {@code message.create}: checks, then writes a new message durably and returns its ref.
     * Checks in Xapi's order: {@code cls} must be a value of enum {@code cls}, matched ignoring case as
     * the RPC layer does (else {@code INTERNAL_ERROR ["Failure(\"Unknown tag/contents\")"]}, the
     * unmarshalling error); the body, then the name, must be text the database may store
     * ({@link Utf8Check#isStorable}: no unpaired surrogate, no control character but TAB, LF, CR, no
     * noncharacter; else {@code INVALID_VALUE ["UTF8 expected"]}, Xapi's answer for a body that is not
     * UTF-8); the object must exist (else {@code UUID_INVALID [cls, obj_uuid]}). Xapi checks nothing about
     * the name or the priority, and lets controls and noncharacters through. As in Xapi, a failure to write
     * the file is logged and answered with {@code OpaqueRef:NULL} rather than an error.
     *
     * @throws IllegalStateException after {@link #close}
     */
    public String create(String name, long priority, String cls, String objUuid, String body) {
        return create(name, priority, cls, objUuid, body, true);
    }

    /** Where a pool member's messages go: the master's {@code message.create}. */
    @FunctionalInterface
    public interface Forwarder {
        String create(String name, long priority, String cls, String objUuid, String body);
    }

    private volatile Forwarder forwarder;

    /**
     * On a pool member: messages are the master's (Xapi's {@code Xapi_message.create} on a member calls the master),
     * so each {@link #create} from now on goes to {@code f} instead of this store.
     */
    public void forwardTo(Forwarder f) {
        this.forwarder = f;
    }

    /**
     * {@link #create}, except that the file is forced to disk shortly after this returns, by a background thread
     * that forces what several creates wrote at once ({@link MessageFiles}), instead of before: the message
     * is in the file system when this returns (a crash of the process keeps it), and on disk within about
     * {@value MessageFiles#DELAY_MS} ms. For the alerts Xapi sends as a side effect of an operation
     * ({@code create_vm_message}), which Xapi itself never forces to disk.
     */
    public String createForcedLater(String name, long priority, String cls, String objUuid, String body) {
        return create(name, priority, cls, objUuid, body, false);
    }

    private String create(String name, long priority, String cls, String objUuid, String body, boolean forceNow) {
        Forwarder f = forwarder;
        if (f != null) {
            try {
                return f.create(name, priority, cls, objUuid, body);
            } catch (IllegalStateException e) {
                // the master could not be reached: logged and answered as a failed write, as below
                LOG.warn("message {} not sent to the master: {}", name, e.getMessage());
                return Refs.NULL;
            }
        }
        Objects.requireNonNull(name);
        Objects.requireNonNull(objUuid);
        Objects.requireNonNull(body);
        ensureOpen();
        String c = canonicalCls(cls);
        if (!Utf8Check.isStorable(body) || !Utf8Check.isStorable(name)) throw ApiError.invalidValue("UTF8 expected");
        if (!objectExists(c, objUuid)) throw ApiError.uuidInvalid(c, objUuid);
        LOG.debug("Message.create {} {} {} {}", name, priority, c, objUuid);
        return insert(
                Refs.fresh(),
                UUID.randomUUID().toString(),
                name,
                priority,
                c,
                objUuid,
                clock.instant(),
                body,
                forceNow);
    }

    /**
     * A message that already exists elsewhere (Xapi's {@code write} from {@code PUT /messages}: another pool's or a
     * member's messages), kept with its own ref, uuid and timestamp (its file named by that time) under a new
     * generation, forced to disk before this returns. A message whose ref or uuid this store already holds is left
     * alone (Xapi skips an existing ref). {@code cls} must be a value of enum {@code cls}; the object is not checked
     * (Xapi checks only the request's object).
     *
     * @return whether the message was written
     * @throws IllegalStateException after {@link #close}
     */
    public boolean importMessage(
            String ref,
            String uuid,
            String name,
            long priority,
            String cls,
            String objUuid,
            DateTime timestamp,
            String body) {
        ensureOpen();
        String c = canonicalCls(cls);
        if (messages.holds(ref, uuid)) return false;
        return !insert(ref, uuid, name, priority, c, objUuid, timestamp.toInstant(), body, true)
                .equals(Refs.NULL);
    }

    /** Writes a checked message under a new generation and makes it visible; {@code OpaqueRef:NULL} on failure. */
    private String insert(
            String ref,
            String uuid,
            String name,
            long priority,
            String c,
            String objUuid,
            Instant now,
            String body,
            boolean forceNow) {
        long wantedKey = MessageFileKeys.keyOf(now);
        DateTime timestamp = DateTime.ofInstant(now);

        long gen;
        long key;
        lock.lock();
        try {
            try {
                gen = generations.next();
            } catch (IOException e) {
                LOG.error("Message.create {}: cannot reserve a generation in {}: {}", name, dir, e.toString());
                return Refs.NULL;
            }
            key = fileKeys.reserve(wantedKey);
        } finally {
            lock.unlock();
        }
        StoredMessage written = null;
        try {
            written = files.writeMessage(
                    new StoredMessage(
                            ref,
                            uuid,
                            name,
                            priority,
                            c,
                            objUuid,
                            timestamp,
                            body,
                            gen,
                            MessageFileKeys.fileName(key),
                            key),
                    forceNow,
                    this::nextFreeKey);
        } catch (IOException | RuntimeException e) {
            LOG.error("Message.create {}: cannot write the message into {}: {}", name, dir, e.toString());
        } finally {
            StoredMessage m = written;
            generations.publish(
                    gen,
                    m == null
                            ? null
                            : () -> {
                                messages.add(m);
                                notifyListeners(new MessageEvent(m.ref, MessageEvent.ADD, m.record(), m.generation));
                            });
        }
        if (written == null) return Refs.NULL;
        evictOverLimit();
        return ref;
    }

    /**
     * {@code message.destroy}: removes the message and its file; a {@code del} event follows.
     * An unknown ref (or one whose deletion is already under way) is {@code HANDLE_INVALID ["message", ref]}.
     *
     * @throws IllegalStateException after {@link #close}
     */
    public void destroy(String ref) {
        ensureOpen();
        StoredMessage m;
        long gen;
        lock.lock();
        try {
            m = ref == null ? null : messages.get(ref);
            if (m == null || deleting.contains(ref)) throw ApiError.handleInvalid("message", String.valueOf(ref));
            try {
                gen = generations.next();
            } catch (IOException e) {
                throw ApiError.internal("cannot reserve a generation in " + dir + ": " + e);
            }
            deleting.add(ref);
        } finally {
            lock.unlock();
        }
        remove(m, gen, true);
    }

    /**
     * {@code message.destroy_many}: {@link #destroy} of each ref in turn; the first failure is thrown and
     * the refs after it are left alone (those before it stay destroyed), as in Xapi.
     */
    public void destroyMany(List<String> refs) {
        for (String r : refs) destroy(r);
    }

    /**
     * {@code message.destroy_all} (hidden in the datamodel): destroys, newest first, the messages matching
     * every given filter: {@code before} (timestamp strictly earlier), {@code after} (strictly later), both
     * datetimes, and {@code priority} (equal). Other keys are ignored. A bad datetime or number is the error
     * the RPC layer gives for one ({@code INTERNAL_ERROR}).
     */
    public void destroyAll(Map<String, String> filters) {
        DateTime before = filters.containsKey("before")
                ? (DateTime) Unmarshal.fromRpc(XType.DATETIME, filters.get("before"))
                : null;
        DateTime after = filters.containsKey("after")
                ? (DateTime) Unmarshal.fromRpc(XType.DATETIME, filters.get("after"))
                : null;
        Long priority =
                filters.containsKey("priority") ? (Long) Unmarshal.fromRpc(XType.INT, filters.get("priority")) : null;
        List<String> refs = new ArrayList<>();
        for (StoredMessage m : messages.newestFirst()) {
            if (before != null && m.timestamp.compareTo(before) >= 0) continue;
            if (after != null && m.timestamp.compareTo(after) <= 0) continue;
            if (priority != null && m.priority != priority) continue;
            refs.add(m.ref);
        }
        destroyMany(refs);
    }

    /** Destroys the oldest messages (by creation time) while more than the cap are held. */
    private void evictOverLimit() {
        List<StoredMessage> victims = new ArrayList<>();
        List<Long> gens = new ArrayList<>();
        lock.lock();
        try {
            int over = messages.size() - deleting.size() - limit;
            if (over <= 0) return;
            long now = System.nanoTime();
            overLimitEvictions += over;
            if (now - lastOverLimitWarning >= OVER_LIMIT_WARNING_NANOS) {
                // Xapi's gc warns once a pass; here eviction runs at each message over the limit
                LOG.warn(
                        "Messages have reached over the limit {} ({} evicted since the last warning)",
                        limit,
                        overLimitEvictions);
                lastOverLimitWarning = now;
                overLimitEvictions = 0;
            }
            Iterator<StoredMessage> oldest = messages.oldestFirst().iterator();
            while (victims.size() < over && oldest.hasNext()) {
                StoredMessage m = oldest.next();
                if (deleting.contains(m.ref)) continue;
                try {
                    gens.add(generations.next());
                } catch (IOException e) {
                    LOG.error("Cannot reserve a generation in {} to evict messages: {}", dir, e.toString());
                    break;
                }
                deleting.add(m.ref);
                victims.add(m);
            }
        } finally {
            lock.unlock();
        }
        // not forced, as Xapi's gc: a file back after a crash is among the oldest, evicted again at open
        for (int i = 0; i < victims.size(); i++) remove(victims.get(i), gens.get(i), false);
    }

    /**
     * Deletes the file of {@code m} (marked as deleting, with generation {@code gen}), the directory forced when {@code
     * force}, and publishes the deletion.
     */
    private void remove(StoredMessage m, long gen, boolean force) {
        try {
            Files.deleteIfExists(dir.resolve(m.fileName));
            if (force) files.forceDirectory();
        } catch (IOException | RuntimeException e) {
            // As Xapi's unlink_safe: the message is gone from the API all the same.
            LOG.warn("Cannot remove message file {}: {}", dir.resolve(m.fileName), e.toString());
        } finally {
            generations.publish(gen, () -> {
                messages.remove(m);
                fileKeys.release(m.fileKey);
                deleting.remove(m.ref);
                deleted.addFirst(new Deletion(gen, m.ref, m));
                if (deleted.size() > DELETED_MAX) {
                    while (deleted.size() > DELETED_KEEP) deleted.removeLast();
                }
                notifyListeners(new MessageEvent(m.ref, MessageEvent.DEL, m.record(), gen));
            });
        }
    }

    /** A free file key at or after {@code wanted}, marked used (takes the lock). */
    private long nextFreeKey(long wanted) {
        lock.lock();
        try {
            return fileKeys.reserve(wanted);
        } finally {
            lock.unlock();
        }
    }

    private void notifyListeners(MessageEvent e) {
        for (Consumer<MessageEvent> l : listeners) {
            try {
                l.accept(e);
            } catch (RuntimeException ex) {
                LOG.error("Message event listener failed on {} {}", e.op(), e.ref(), ex);
            }
        }
    }

    // ------------------------------------------------------------------ reads

    /** {@code message.get_record}; {@code HANDLE_INVALID ["message", ref]} when unknown. */
    public Map<String, Object> getRecord(String ref) {
        StoredMessage m = ref == null ? null : messages.get(ref);
        if (m == null) throw ApiError.handleInvalid("message", String.valueOf(ref));
        return m.record();
    }

    /** {@code message.get_by_uuid}; {@code UUID_INVALID ["message", uuid]} when unknown. */
    public String getByUuid(String uuid) {
        String ref = uuid == null ? null : messages.refOf(uuid);
        if (ref == null) throw ApiError.uuidInvalid("message", String.valueOf(uuid));
        return ref;
    }

    /** {@code message.get_all}: every ref, newest first. */
    public List<String> getAll() {
        List<String> out = new ArrayList<>(messages.size());
        for (StoredMessage m : messages.newestFirst()) out.add(m.ref);
        return out;
    }

    /** {@code message.get_all_records}: ref → record, newest (highest generation) first. */
    public Map<String, Map<String, Object>> getAllRecords() {
        return messages.records(m -> true);
    }

    /**
     * {@code message.get}: the messages about one object whose timestamp is strictly later than
     * {@code since}, newest first. {@code UUID_INVALID []} (no parameters, as in Xapi) when the object
     * does not exist; {@code cls} is checked as in {@link #create}.
     */
    public Map<String, Map<String, Object>> get(String cls, String objUuid, DateTime since) {
        String c = canonicalCls(cls);
        if (!objectExists(c, objUuid)) throw new ApiError("UUID_INVALID", List.of());
        return messages.records(m -> m.cls.equals(c) && m.objUuid.equals(objUuid) && m.timestamp.compareTo(since) > 0);
    }

    /**
     * {@code message.get_since}: the messages created strictly after {@code since}, newest first. As in Xapi
     * the creation time compared is the file name's (10 µs resolution), not the record's whole-second
     * timestamp: a message created at 100.5 s is returned for {@code since} = 100 s.
     */
    public Map<String, Map<String, Object>> getSince(DateTime since) {
        long sinceKey = MessageFileKeys.keyOfSecond(since.toInstant().getEpochSecond());
        return messages.records(m -> m.fileKey > sinceKey);
    }

    /**
     * {@code message.get_all_records_where}: the messages for which {@code expr} (the database's filter
     * language, {@link WhereExpr}) holds, newest first. Fields: {@code name uuid priority cls obj_uuid
     * timestamp body}, compared as strings. A syntax error is {@link WhereExpr#parse}'s
     * {@code INVALID_VALUE}; a message on which the expression names another field is left out (Xapi's
     * evaluation error is swallowed per message), so such an expression matches nothing.
     */
    public Map<String, Map<String, Object>> getAllRecordsWhere(String expr) {
        WhereExpr e = WhereExpr.parse(expr);
        return messages.records(m -> {
            try {
                return e.eval(m::column);
            } catch (RuntimeException ex) {
                return false;
            }
        });
    }

    /** Number of messages held (those being deleted included). */
    public int size() {
        return messages.size();
    }

    // ------------------------------------------------------------------ events

    /** The store generation: every change up to it is visible; 0 for a new, empty store. */
    public long generation() {
        return generations.visible();
    }

    /**
     * Xapi's {@code get_since_for_events}, the message half of {@code event.from}: an {@code add} (with the
     * record) for each existing message created after generation {@code since}, newest first; then a
     * {@code del} (no snapshot) for each remembered deletion after {@code since}, newest first. A message
     * created and destroyed after {@code since} yields only its {@code del}. Only the last
     * {@value #DELETED_KEEP}..{@value #DELETED_MAX} deletions are remembered (and none across a restart),
     * so an older token misses older deletions, as in Xapi. The next token is the largest
     * {@link MessageEvent#generation()} returned, or {@code since} when nothing is returned (Xapi's
     * {@code newsince}); Xapi's {@code event.from} lists these events reversed, ahead of the database's.
     */
    public List<MessageEvent> eventsSince(long since) {
        List<MessageEvent> out = new ArrayList<>();
        lock.lock();
        try {
            for (StoredMessage m : messages.after(since)) {
                out.add(new MessageEvent(m.ref, MessageEvent.ADD, m.record(), m.generation));
            }
            for (Deletion d : deleted) {
                if (d.generation <= since) break;
                out.add(new MessageEvent(d.ref, MessageEvent.DEL, null, d.generation));
            }
        } finally {
            lock.unlock();
        }
        return out;
    }

    /**
     * A future completed with the then current {@link #generation()} once it exceeds {@code after}
     * (at once if it already does). No thread waits: the future is completed by the thread whose change
     * moved the generation, so dependent actions should be quick or async. Pending futures are cheap (one
     * entry in a sorted map) and removed when completed or cancelled; {@link #close} cancels them.
     */
    public CompletableFuture<Long> onGenerationAfter(long after) {
        return generations.onGenerationAfter(after);
    }

    /**
     * Delivers every change as it becomes visible, in generation order: {@code add} with the record and
     * {@code del} with the record as it was (Xapi's legacy {@code event.next} feed, which also carries
     * message events). The listener runs under the store's lock in the changing thread: it must be quick,
     * must not block, and must not call back into this store.
     */
    public Subscription subscribe(Consumer<MessageEvent> listener) {
        Objects.requireNonNull(listener);
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /**
     * Stops accepting changes ({@link #create} and the destroys then throw {@link IllegalStateException}) and
     * cancels pending {@link #onGenerationAfter} futures. Reads keep working. Changes already under way
     * finish. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        files.close();
        generations.close();
    }

    // ------------------------------------------------------------------ helpers

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("message store " + dir + " is closed");
    }

    private String canonicalCls(String cls) {
        String c = cls == null ? null : clsEnum.canonical(cls);
        if (c == null) throw ApiError.internal(RpcValues.ocamlFailure("Unknown tag/contents"));
        return c;
    }

    /**
     * Xapi's {@code check_uuid}: whether an object of kind {@code cls} (a value of enum {@code cls}, canonical
     * spelling) has this uuid.
     */
    public boolean objectExists(String cls, String objUuid) {
        try {
            return existence.exists(cls, objUuid);
        } catch (RuntimeException e) {
            return false;
        }
    }
}
