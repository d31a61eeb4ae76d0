package org.xapijava.server.transfer;

import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.model.Datamodel;
import org.xapijava.server.api.Messages;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.dispatch.Dispatcher;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.HttpTasks;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.ops.Locks;
import org.xapijava.server.storage.StorageBackends;
import org.xapijava.server.task.TaskManager;

/** The import and export handlers of a host, registered in its HTTP handler table. Stateless. */
public final class TransferHandlers {
    private TransferHandlers() {}

    /** {@code VM.import}: {@link UrlImport}, the XVA of a URL imported as {@code PUT /import} imports a body. */
    public static Messages urlImport(
            Datamodel dm,
            Db data,
            String host,
            String pool,
            StorageBackends storage,
            TaskManager tasks,
            AllowedOperations allowed) {
        // the HTTP parts of the importer (its requests and transfer guard) are not used from a message
        return new UrlImport(
                data, new VmImport(dm, data, host, pool, storage, new HttpTasks(data, tasks), null, null, allowed));
    }

    /**
     * Registers the disk transfers ({@link RawVdiTransfer}), VM export and import ({@link VmExport},
     * {@link VmImport}; {@code locks} null on a pool member, and only there), all bounded by {@code max-transfers}, and the database dump
     * ({@link DatabaseDump}, whose restore writes {@code backup-db} and {@code pool-conf}, then calls
     * {@code restart}).
     */
    public static void register(
            HttpHandlerTable table,
            XapiConfig config,
            Datamodel dm,
            Database db,
            Db data,
            String host,
            StorageBackends storage,
            TaskManager tasks,
            Dispatcher dispatcher,
            Runnable restart,
            String pool,
            Locks locks,
            AllowedOperations allowed) {
        HttpTasks httpTasks = new HttpTasks(data, tasks);
        TransferRequests requests = new TransferRequests(data, host, dispatcher, locks == null);
        TransferGuard guard = new TransferGuard(httpTasks, config.integer("max-transfers"));
        new RawVdiTransfer(data, storage, httpTasks, requests, guard).register(table);
        new VmExport(dm, data, host, storage, httpTasks, requests, guard, locks, allowed).register(table);
        new VmImport(dm, data, host, pool, storage, httpTasks, requests, guard, allowed).register(table);
        new DatabaseDump(
                        db,
                        httpTasks,
                        new DatabaseDump.RestoreTarget(
                                dm, data, host, config.path("backup-db"), config.path("pool-conf"), restart))
                .register(table);
    }
}
