package org.xapijava.server.xenops;

import static org.xapijava.server.xenops.CrossPoolMigrate.enc;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.Blob;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.Cls;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.server.alerts.MessageImport;

/**
 * The end of {@link CrossPoolMigrate}'s move, Xapi's "non-database metadata": the VM's messages
 * ({@code send_messages}) and blobs ({@code Xapi_blob.migrate_push}) sent to the other pool's master. Both are kept
 * by this pool's master, which is reached with its XenAPI and HTTP under a pool session made there, from whichever
 * host of the pool runs the move (Xapi's {@code call_api_functions}: on a member, the master's XenAPI). Thread-safe.
 */
final class CrossPoolMessagesAndBlobs {
    private static final Logger LOG = LoggerFactory.getLogger(CrossPoolMessagesAndBlobs.class);
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    private final Db data;
    private final Migration migration;

    CrossPoolMessagesAndBlobs(Db data, Migration migration) {
        this.data = data;
        this.migration = migration;
    }

    /**
     * The VM's messages and blobs, which the pool's master keeps, sent to the other pool's master through this pool's
     * master (Xapi's {@code call_api_functions}: on a member, the master's XenAPI) under a pool session made there; a
     * failure is logged (the VM has moved).
     */
    void send(String vm, String newVm, MigrateChecks.Dest dest, XenApi remote) {
        String master = MigrateChecks.master(data);
        String session;
        try {
            session = migration.destinationSession(master);
        } catch (RuntimeException e) {
            LOG.warn(
                    "VM.migrate_send {}: no session on the pool's master for its messages and blobs: {}",
                    vm,
                    e.toString());
            return;
        }
        try {
            sendMessages(dest, master, session, data.get(vm, VM.UUID));
            migratePushBlobs(dest, remote, vm, newVm, master, session);
        } finally {
            migration.logout(master, session);
        }
    }

    /**
     * {@code send_messages}: the VM's messages (read from this pool's master) put to the other pool's master
     * ({@code PUT /messages?cls=VM&uuid=}, the body Xapi's {@code export_xml}), then destroyed on this pool's master;
     * a failure is logged (the VM has moved).
     */
    private void sendMessages(MigrateChecks.Dest dest, String master, String session, String uuid) {
        try {
            Map<String, Map<String, Object>> messages = migration.onDestination(
                    master, session, api -> api.message().get(Cls.VM, uuid, DateTime.EPOCH));
            if (messages.isEmpty()) return;
            URI uri = URI.create(dest.masterUrl() + "/")
                    .resolve("messages?session_id=" + enc(dest.session()) + "&cls=VM&uuid=" + enc(uuid));
            HttpResponse<Void> r = CrossPoolMigrate.send(HttpRequest.newBuilder(uri)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(MessageImport.exportXml(messages)))
                    .timeout(TIMEOUT)
                    .build());
            if (r.statusCode() != 200) LOG.error("Error transferring messages: HTTP {}", r.statusCode());
            LOG.info(
                    "Destroying {} messages belonging to VM uuid={} from the source pool, after sending them to the"
                            + " remote pool",
                    messages.size(),
                    uuid);
            migration.onDestination(master, session, api -> {
                api.message().destroyMany(new ArrayList<>(messages.keySet()));
                return null;
            });
        } catch (RuntimeException e) {
            LOG.warn("VM.migrate_send {}: sending its messages: {}", uuid, e.toString());
        }
    }

    /**
     * {@code Xapi_blob.migrate_push}: each blob of the VM made there ({@code VM.create_new_blob} with its name, type
     * and {@code public}, then its name label), its bytes (read from this pool's master's {@code /blob}) put to the
     * other pool's master's {@code PUT /blob?ref=}, then the blob destroyed on this pool's master; a blob that fails
     * to go is logged and skipped, as Xapi's {@code send_blobs} ignores its errors.
     */
    private void migratePushBlobs(
            MigrateChecks.Dest dest, XenApi remote, String vm, String newVm, String master, String session) {
        Map<String, String> blobs = data.get(vm, VM.BLOBS);
        for (Map.Entry<String, String> e : blobs.entrySet()) {
            String old = e.getValue();
            try {
                Map<String, Object> rec = data.record(Blob.XAPI_CLASS, old);
                String made = remote.vm()
                        .createNewBlob(newVm, e.getKey(), Db.value(rec, Blob.MIME_TYPE), Db.value(rec, Blob.PUBLIC));
                remote.blob().setNameLabel(made, Db.value(rec, Blob.NAME_LABEL));
                HttpResponse<byte[]> got = CrossPoolMigrate.HTTP.send(
                        HttpRequest.newBuilder(migration
                                        .hostUri(master)
                                        .resolve("blob?ref=" + enc(old) + "&session_id=" + enc(session)))
                                .GET()
                                .timeout(TIMEOUT)
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (got.statusCode() != 200) throw ApiError.internal("GET /blob: HTTP " + got.statusCode());
                URI put = URI.create(dest.masterUrl() + "/")
                        .resolve("blob?ref=" + enc(made) + "&session_id=" + enc(dest.session()));
                CrossPoolMigrate.send(HttpRequest.newBuilder(put)
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(got.body()))
                        .timeout(TIMEOUT)
                        .build());
            } catch (IOException | RuntimeException x) {
                LOG.debug("Ignoring exception in send_blobs: {}", x.toString());
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                return;
            }
            try {
                migration.onDestination(master, session, api -> {
                    api.blob().destroy(old);
                    return null;
                });
            } catch (RuntimeException x) {
                LOG.warn("VM.migrate_send: destroying blob {} here: {}", old, x.toString());
            }
        }
    }
}
