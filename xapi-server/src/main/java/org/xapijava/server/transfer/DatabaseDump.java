package org.xapijava.server.transfer;

import java.io.IOException;
import java.io.OutputStream;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.persist.StateDbWriter;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.HttpErrors;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.HttpParams;
import org.xapijava.server.http.HttpTasks;

/**
 * {@code /pool/xmldbdump} as Xapi's {@code pool_db_backup.ml}: {@code GET} writes the whole database in the form of
 * {@code state.db} (Xapi's {@code Db_xml.To}: manifest, then each table's rows), after {@code 200 OK} with
 * {@code Connection: close} and no length, in a task "Dumping database as XML" (Xen Orchestra's
 * {@code exportPoolMetadata}, {@code xe pool-dump-database}). {@code PUT} ({@code importPoolMetadata},
 * {@code xe pool-restore-database}) needs a Content-Length (else 400), answers 200 before it reads the dump, makes it
 * fit to be this host's database ({@link DatabaseRestore}) and, unless {@code dry_run=true}, writes it where a
 * master takes its database from a backup at start ({@code backup-db}), makes this host a master
 * ({@code pool.conf}) and restarts xapi, as Xapi's {@code push_database_restore_handler}. Thread-safe.
 */
public final class DatabaseDump {
    private static final Logger LOG = LoggerFactory.getLogger(DatabaseDump.class);

    /** Where a restored database goes and how this host restarts on it. */
    public record RestoreTarget(
            org.xapijava.model.Datamodel dm,
            org.xapijava.db.Db current,
            String host,
            java.nio.file.Path backupDb,
            java.nio.file.Path poolConf,
            Runnable restart) {}

    private final Database db;
    private final HttpTasks tasks;
    private final RestoreTarget target;

    public DatabaseDump(Database db, HttpTasks tasks, RestoreTarget target) {
        this.db = db;
        this.tasks = tasks;
        this.target = target;
    }

    /** Registers {@code get_pool_xml_db_sync} and {@code put_pool_xml_db_sync}. */
    public void register(HttpHandlerTable table) {
        table.register("get_pool_xml_db_sync", this::dump);
        table.register("put_pool_xml_db_sync", this::restore);
    }

    private void dump(HttpCall c) throws IOException {
        String task = tasks.begin(c, "Dumping database as XML");
        Response r = c.response();
        Replies.ok(r, null, null);
        try {
            OutputStream out = Content.Sink.asOutputStream(r);
            StateDbWriter.writeTo(db.snapshot().image(), out);
            tasks.complete(task, "");
            out.close();
            c.callback().succeeded();
        } catch (IOException | RuntimeException e) {
            Replies.abort(c, tasks, task, e, ApiError.internal(e.toString()));
        }
    }

    private void restore(HttpCall c) throws IOException {
        String task = tasks.begin(c, "Reading database as XML");
        long length = c.request().getLength();
        if (length < 0) {
            tasks.complete(task, ""); // Xapi's with_context: the handler returned
            Replies.bare(c, 400, task);
            return;
        }
        Response r = c.response();
        Replies.ok(r, null, null);
        boolean dryRun = "true".equals(HttpParams.query(c.request()).getValue("dry_run"));
        try {
            HttpErrors.commit(r);
            DatabaseRestore.restore(
                    Content.Source.asInputStream(c.request()),
                    length,
                    target.dm(),
                    target.current(),
                    target.host(),
                    dryRun,
                    target.backupDb());
            if (!dryRun) {
                org.xapijava.server.pool.PoolRole.MASTER.store(target.poolConf());
                LOG.warn("database restored from a dump: restarting as the master on it");
                org.xapijava.server.pool.DelayedRestart.after(
                        org.xapijava.server.pool.DelayedRestart.AFTER_ANSWER, target.restart());
            }
            tasks.complete(task, "");
            r.write(true, java.nio.ByteBuffer.allocate(0), c.callback());
        } catch (IOException | RuntimeException e) {
            Replies.abort(c, tasks, task, e, ApiError.internal(e.toString()));
        }
    }
}
