package org.xapijava.server.pool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.eclipse.jetty.server.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.auth.RootHash;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.HttpErrors;
import org.xapijava.server.http.HttpHandlerTable;

/**
 * Xapi's dom0 config file sync ({@code config_file_sync.ml}): root's password, the one file Xapi keeps alike on every
 * host of a pool, copied from the master to its members as its {@code crypt(3)} hash. The master serves it at {@code
 * GET /sync_config_files/2} ({@code get_config_sync}: {@code {"password": "<hash>"}}; an older version number gets
 * Xapi's warning text); a member fetches it at each start, before its hello, and when the master asks ({@code
 * host.request_config_file_sync}, which the master sends every other host after {@code session.change_password}).
 * With PAM the hash is not read or written here (the hosts' system accounts are their own): the calls log that and
 * change nothing. Thread-safe.
 */
public final class ConfigFileSync implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigFileSync.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Xapi's {@code config_sync_version}: the version of the file set a member asks for. */
    public static final int VERSION = 2;
    /** The path a member fetches ({@code Constants.config_sync_uri} and the version). */
    public static final String PATH = "/sync_config_files/" + VERSION;

    private final Db db;
    private final String me;
    private final RootHash root;
    private final Supplier<Master> master;
    private final Supplier<PeerCalls> peers;

    /** How a member reads its master's config files: their JSON ({@code {"password": ...}}). */
    @FunctionalInterface
    public interface Master {
        byte[] configFiles();
    }

    /**
     * @param root   this host's root hash, or null (PAM: nothing synced)
     * @param master on a member, its master's files (null on the master)
     * @param peers  on the master, its typed calls to the other hosts (null on a member)
     */
    public ConfigFileSync(Db db, String me, RootHash root, Supplier<Master> master, Supplier<PeerCalls> peers) {
        this.db = db;
        this.me = me;
        this.root = root;
        this.master = master;
        this.peers = peers;
    }

    /** Registers {@code get_config_sync}. */
    public void register(HttpHandlerTable table) {
        table.register("get_config_sync", this::serve);
    }

    @Override
    public void bind(MessageTable table) {
        HostApi.bind(table, new HostApi() {
            @Override
            public void requestConfigFileSync(CallContext ctx, String host, String hash) {
                LOG.debug("notified of a change of the master's config files");
                pull();
            }
        });
    }

    /** {@code config_file_sync_handler}: this host's files for a version it knows, else Xapi's warning. */
    private void serve(HttpCall c) throws IOException {
        String path = org.eclipse.jetty.server.Request.getPathInContext(c.request());
        String[] parts = path.split("/");
        String version = parts.length == 3 ? parts[2] : "";
        byte[] body;
        if (current(version)) {
            body = files();
        } else {
            LOG.warn("legacy dom0 config files not supported");
            body = "Warning: legacy dom0 config files not supported".getBytes(StandardCharsets.UTF_8);
        }
        Response r = c.response();
        HttpErrors.head(r, 200); // Connection: close, as Xapi's
        r.write(true, ByteBuffer.wrap(body), c.callback());
    }

    /** This host's config files as a member reads them ({@code {"password": "<root's hash>"}}). */
    public byte[] files() {
        String hash = root == null ? null : root.get();
        if (hash == null) throw ApiError.internal("this host's root password is not kept by xapi (PAM)");
        return JSON.createObjectNode().put("password", hash).toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Xapi's check: the number after the path, as an integer, at least {@link #VERSION}. */
    private static boolean current(String version) {
        try {
            return Integer.parseInt(version) >= VERSION;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * On a member: its master's files fetched and written here ({@code fetch_config_files}); a failure is logged (the
     * member keeps its own password) and reported to the caller.
     */
    public void pull() {
        Master m = master.get();
        if (m == null) return; // the master's files are its own
        if (root == null) {
            LOG.info("config file sync: root's password is PAM's here, not synced");
            return;
        }
        String hash;
        try {
            JsonNode files = JSON.readTree(m.configFiles());
            hash = files.path("password").asText("");
        } catch (IOException e) {
            throw ApiError.internal("config file sync: the master's answer is not JSON: " + e.getMessage());
        }
        if (hash.isEmpty()) throw ApiError.internal("config file sync: the master sent no password");
        try {
            root.set(hash);
        } catch (IllegalArgumentException e) {
            throw ApiError.internal(
                    "config file sync: the master's root password cannot be kept here: " + e.getMessage());
        }
        LOG.info("root's password synced from the master");
    }

    /** At a member's start: {@link #pull}, a failure logged only (Xapi's {@code fetch_config_files_on_slave_startup}). */
    public void pullAtStart() {
        try {
            pull();
        } catch (RuntimeException e) {
            LOG.warn("config file sync at start failed: {}", e.toString());
        }
    }

    /**
     * On the master after {@code session.change_password}: every other host asked to fetch the files again ({@code
     * host.request_config_file_sync}), one failure logged and the others still asked, as Xapi's.
     */
    public void pushToAll() {
        PeerCalls calls = peers.get();
        if (calls == null) return;
        for (String h : db.all(Host.XAPI_CLASS)) {
            if (h.equals(me)) continue;
            try {
                calls.on(db.get(h, Host.ADDRESS), api -> {
                    api.host().requestConfigFileSync(h, ""); // Xapi's compute_hash: always empty
                    return null;
                });
            } catch (RuntimeException e) {
                LOG.error("Failed to sync password to host {}: {}", db.get(h, Host.NAME_LABEL), e.toString());
            }
        }
    }
}
