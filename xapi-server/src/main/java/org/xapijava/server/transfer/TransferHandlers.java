package org.xapijava.server.transfer;

import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.model.Datamodel;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.dispatch.Dispatcher;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.HttpTasks;
import org.xapijava.server.storage.StorageBackends;
import org.xapijava.server.task.TaskManager;

/** The import and export handlers of a host, registered in its HTTP handler table. Stateless. */
public final class TransferHandlers {
    private TransferHandlers() {}

    /**
     * Registers the disk transfers ({@link RawVdiTransfer}, bounded by {@code max-transfers}) and the database dump
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
            Runnable restart) {
        HttpTasks httpTasks = new HttpTasks(data, tasks);
        new RawVdiTransfer(data, host, storage, httpTasks, dispatcher, config.integer("max-transfers")).register(table);
        new DatabaseDump(
                        db,
                        httpTasks,
                        new DatabaseDump.RestoreTarget(
                                dm, data, host, config.path("backup-db"), config.path("pool-conf"), restart))
                .register(table);
    }
}
