package org.xapijava.server.pool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.blob.BlobStore;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.forward.HostClients;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.remotedb.RemoteDbHandler;
import org.xapijava.server.xenops.XenopsErrors;

/**
 * Xapi's {@code xapi_sync.ml}: the master's blob directory copied to the other hosts of the pool, so that a host made
 * master later has the blobs' data. {@code host.sync_data} (run on the master, as Xapi's forwarding layer runs it)
 * copies it to one host, skipping the master itself and a host whose {@code other_config} has
 * {@code no_local_storage}, and records {@code other_config:last_blob_sync_time} on success; the master does it for
 * every host once a day ({@link #syncAll}), and to the new master before {@code pool.designate_new_master}. As
 * {@code rsync --delete -a}: files that differ in size or modification time are copied whole with their time, files
 * the master does not have are removed. A failure is logged (an error when the host is live), never raised.
 *
 * <p>Xapi runs {@code rsync} through {@code xsh} and the host's {@code CONNECT /remotecmd}; here the member fetches the
 * copy over its link to the master ({@code POST /remote_db_access_v2} with the pool secret: {@code ["Blob_list"]},
 * {@code ["Blob_data", uuid]}) when the master calls it {@code host.sync_data} with its pool session. Thread-safe;
 * one sync at a time per host (Xapi's {@code sync_lock}).
 */
public final class BlobSync implements Messages, RemoteDbHandler.V2Extension {
    private static final Logger LOG = LoggerFactory.getLogger(BlobSync.class);
    /** Xapi's {@code Xapi_globs.host_no_local_storage}. */
    static final String NO_LOCAL_STORAGE = "no_local_storage";
    /** Xapi's {@code Xapi_globs.last_blob_sync_time}. */
    static final String LAST_BLOB_SYNC_TIME = "last_blob_sync_time";

    static final String LIST = "Blob_list";
    static final String DATA = "Blob_data";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where a member reads the master's blob directory. */
    public interface Source {
        List<BlobStore.Entry> list();

        /** The blob's data, or null when the master no longer has it. */
        byte[] read(String name);
    }

    /** What one copy did. */
    public record Result(int copied, int removed, int kept) {}

    private final Db db;
    private final String thisHost;
    private final BlobStore store;
    /** The master's clients to its hosts; null on a member. */
    private final HostClients hosts;
    /** A member's view of its master's blobs; null on the master. */
    private final Source master;

    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();

    /**
     * @param hosts  the master's clients to the other hosts, or null on a member
     * @param master on a member, its master's blobs (null on the master)
     */
    public BlobSync(Db db, String thisHost, BlobStore store, HostClients hosts, Source master, Clock clock) {
        this.db = db;
        this.thisHost = thisHost;
        this.store = store;
        this.hosts = hosts;
        this.master = master;
        this.clock = clock;
    }

    @Override
    public void bind(MessageTable table) {
        HostApi.bind(table, new HostApi() {
            @Override
            public void syncData(CallContext ctx, String host) {
                if (hosts != null) {
                    syncHost(host);
                } else if (master != null) {
                    pullNow(); // the master's call: copy its blobs here
                } else {
                    LOG.debug("Ignoring host synchronise: no master to copy from");
                }
            }
        });
    }

    /** The master: its blobs copied to every other host ({@code Xapi_sync.do_sync}, once a day). */
    public void syncAll() {
        for (String h : db.all(Host.XAPI_CLASS)) syncHost(h);
    }

    /** The master: {@code sync_host}, its blob directory copied to {@code host} (failures logged, not raised). */
    public void syncHost(String host) {
        if (hosts == null) throw new IllegalStateException("only the master copies its blobs to other hosts");
        lock.lock();
        try {
            boolean local = host.equals(thisHost);
            boolean storage = !local
                    && db.exists(Host.XAPI_CLASS, host)
                    && !db.get(host, Host.OTHER_CONFIG).containsKey(NO_LOCAL_STORAGE);
            if (local || !storage) {
                LOG.debug("Ignoring host synchronise: localhost={} host_has_storage={}", local, storage);
                return;
            }
            LOG.debug("Beginning sync with host at address: {}", db.get(host, Host.ADDRESS));
            try {
                hosts.call(host, "host.sync_data", List.of(host), null);
            } catch (ApiError e) {
                if (live(host)) {
                    LOG.error("Unexpected failure synchronising blobs to host {}: {}", host, e.getMessage());
                } else {
                    LOG.debug("blobs not synchronised to host {} (not live): {}", host, e.getMessage());
                }
                return;
            }
            String now = XenopsErrors.ocamlFloat(clock.millis() / 1000.0);
            Map<String, String> oc = db.get(host, Host.OTHER_CONFIG);
            Update.Builder u = Update.builder().exists(Host.XAPI_CLASS, host);
            if (oc.containsKey(LAST_BLOB_SYNC_TIME)) u.removeFromMap(host, Host.OTHER_CONFIG, LAST_BLOB_SYNC_TIME);
            db.apply(u.addToMap(host, Host.OTHER_CONFIG, LAST_BLOB_SYNC_TIME, now)
                    .build());
        } catch (Db.Conflict | ApiError e) {
            LOG.warn("blob sync to host {}: {}", host, e.getMessage()); // the host went meanwhile
        } finally {
            lock.unlock();
        }
    }

    private boolean live(String host) {
        String m = db.get(host, Host.METRICS);
        return db.exists(HostMetrics.XAPI_CLASS, m) && db.get(m, HostMetrics.LIVE);
    }

    /** A member: the master's blobs copied here now. */
    private void pullNow() {
        lock.lock();
        try {
            Result r = pull(master);
            LOG.info(
                    "blobs synchronised from the master: {} copied, {} removed, {} unchanged",
                    r.copied,
                    r.removed,
                    r.kept);
        } catch (IOException e) {
            throw ApiError.internal("cannot write the blobs copied from the master: " + e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes this host's blob directory the copy of {@code source}'s: what differs in size or time is copied, what
     * {@code source} lacks is removed.
     */
    public Result pull(Source source) throws IOException {
        Map<String, BlobStore.Entry> mine = new HashMap<>();
        for (BlobStore.Entry e : store.list()) mine.put(e.name(), e);
        int copied = 0, kept = 0, removed = 0;
        for (BlobStore.Entry theirs : source.list()) {
            BlobStore.Entry have = mine.remove(theirs.name());
            if (have != null && have.size() == theirs.size() && have.modified() == theirs.modified()) {
                kept++;
                continue;
            }
            byte[] data = source.read(theirs.name());
            if (data == null) continue; // removed on the master meanwhile: the next sync removes it here
            store.mirror(theirs.name(), data, theirs.modified());
            copied++;
        }
        for (String gone : mine.keySet()) {
            store.remove(gone);
            removed++;
        }
        return new Result(copied, removed, kept);
    }

    /** The master's side of the copy, on {@code /remote_db_access_v2} (after the pool secret was checked). */
    @Override
    public boolean handle(HttpCall c, JsonNode req) throws IOException {
        String kind = req.isArray() && !req.isEmpty() ? req.get(0).asText() : "";
        switch (kind) {
            case LIST -> {
                ArrayNode out = JsonNodeFactory.instance.arrayNode();
                for (BlobStore.Entry e : store.list())
                    out.addArray().add(e.name()).add(e.size()).add(e.modified());
                ReplicaHandler.send(c, "application/json", JSON.writeValueAsBytes(out));
            }
            case DATA -> {
                byte[] data = req.size() > 1 ? store.read(req.get(1).asText()) : null;
                if (data == null) {
                    Response r = c.response();
                    r.setStatus(404);
                    r.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
                    r.write(true, ByteBuffer.allocate(0), c.callback());
                } else {
                    ReplicaHandler.send(c, "application/octet-stream", data);
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** The blobs of a master in this JVM (a test's in-process member shares its master's database). */
    public static Source of(BlobStore masterStore) {
        return new Source() {
            @Override
            public List<BlobStore.Entry> list() {
                try {
                    return masterStore.list();
                } catch (IOException e) {
                    throw ApiError.internal("cannot list the master's blobs: " + e.getMessage());
                }
            }

            @Override
            public byte[] read(String name) {
                try {
                    return masterStore.read(name);
                } catch (IOException e) {
                    throw ApiError.internal("cannot read the master's blob " + name + ": " + e.getMessage());
                }
            }
        };
    }

    /** A member's view of its master's blobs, through its link to the master. */
    public static Source over(HttpMasterLink link, Duration wait) {
        return new Source() {
            @Override
            public List<BlobStore.Entry> list() {
                JsonNode a;
                try {
                    a = JSON.readTree(
                            link.post(JsonNodeFactory.instance.arrayNode().add(LIST), wait));
                } catch (IOException e) {
                    throw ApiError.internal("the pool master's blob list does not parse: " + e.getMessage());
                }
                List<BlobStore.Entry> out = new ArrayList<>();
                for (JsonNode e : a)
                    out.add(new BlobStore.Entry(
                            e.get(0).asText(), e.get(1).asLong(), e.get(2).asLong()));
                return out;
            }

            @Override
            public byte[] read(String name) {
                return link.postIfFound(
                        JsonNodeFactory.instance.arrayNode().add(DATA).add(name), wait);
            }
        };
    }
}
