package org.xapijava.server.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.db.LocalDb;
import org.xapijava.db.persist.LoadedDb;
import org.xapijava.db.persist.StateDbReader;
import org.xapijava.db.persist.StateDbWriter;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;

/**
 * Xapi's {@code pool_db_backup.ml restore_from_xml}: a database dump made fit to be this host's database as the
 * master of the pool it describes ({@code prepare_database_for_restore}): its schema must be this one's
 * ({@code RESTORE_INCOMPATIBLE_VERSION}); every host but the dump's master goes, with its PIFs; the master takes
 * this host's uuid and its control domain this host's control domain's uuid; the master's PIFs are matched to this
 * host's physical PIFs by device name (their MACs become this host's, {@code RESTORE_TARGET_MISSING_DEVICE
 * [device]} for a physical PIF this host lacks) and the management flag follows this host's management device
 * ({@code RESTORE_TARGET_MGMT_IF_NOT_IN_BACKUP [devices]} when the dump has no such device). Stateless.
 */
final class DatabaseRestore {
    private DatabaseRestore() {}

    /**
     * Reads the dump from {@code in} (at most {@code limit} bytes), checks and prepares it against this host
     * ({@code current}, {@code host}) and, unless {@code dryRun}, writes it to {@code target} in {@code state.db}
     * form.
     */
    static void restore(InputStream in, long limit, Datamodel dm, Db current, String host, boolean dryRun, Path target)
            throws IOException {
        LoadedDb loaded = StateDbReader.read(new LimitedInput(in, limit), "database restore");
        if (loaded.schemaMajor() != dm.schemaMajor() || loaded.schemaMinor() != dm.schemaMinor())
            throw new ApiError(ErrorCodes.RESTORE_INCOMPATIBLE_VERSION);
        Database restored = Database.load(dm, loaded, List.of(), null);
        prepare(current, host, new LocalDb(restored));
        if (!dryRun) StateDbWriter.write(restored.snapshot().image(), target);
    }

    private static void prepare(Db current, String me, Db db) {
        String master = db.get(db.all(Pool.XAPI_CLASS).getFirst(), Pool.MASTER);
        for (String h : db.all(Host.XAPI_CLASS)) {
            if (h.equals(master)) continue;
            for (String pif : db.where(PIF.HOST, h)) db.delete(PIF.XAPI_CLASS, pif);
            db.delete(Host.XAPI_CLASS, h);
        }
        db.set(master, Host.UUID, current.get(me, Host.UUID));
        String dom0 = db.get(master, Host.CONTROL_DOMAIN);
        String myDom0 = current.get(me, Host.CONTROL_DOMAIN);
        if (db.exists(VM.XAPI_CLASS, dom0) && current.exists(VM.XAPI_CLASS, myDom0))
            db.set(dom0, VM.UUID, current.get(myDom0, VM.UUID));
        Map<String, String> macByDevice = new HashMap<>();
        String mgmtDevice = null;
        int managed = 0;
        for (String pif : current.where(PIF.HOST, me)) {
            if (current.get(pif, PIF.PHYSICAL))
                macByDevice.put(current.get(pif, PIF.DEVICE), current.get(pif, PIF.MAC));
            if (current.get(pif, PIF.MANAGEMENT)) {
                managed++;
                mgmtDevice = current.get(pif, PIF.DEVICE);
            }
        }
        if (managed != 1) mgmtDevice = null; // Xapi: no single management interface, nothing to keep
        boolean foundMgmt = false;
        List<String> inBackup = new ArrayList<>();
        for (String pif : db.where(PIF.HOST, master)) {
            String device = db.get(pif, PIF.DEVICE);
            inBackup.addFirst(device);
            boolean isMgmt = device.equals(mgmtDevice);
            db.set(pif, PIF.MANAGEMENT, isMgmt);
            foundMgmt |= isMgmt;
            if (db.get(pif, PIF.PHYSICAL)) {
                String mac = macByDevice.get(device);
                if (mac == null) throw new ApiError(ErrorCodes.RESTORE_TARGET_MISSING_DEVICE, device);
                db.set(pif, PIF.MAC, mac);
            }
        }
        if (!foundMgmt && mgmtDevice != null)
            throw new ApiError(ErrorCodes.RESTORE_TARGET_MGMT_IF_NOT_IN_BACKUP, inBackup);
    }

    /** At most {@code limit} bytes of {@code in} (the request's Content-Length). */
    private static final class LimitedInput extends java.io.FilterInputStream {
        private long left;

        LimitedInput(InputStream in, long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) return -1;
            int b = super.read();
            if (b >= 0) left--;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) return -1;
            int n = super.read(b, off, (int) Math.min(len, left));
            if (n > 0) left -= n;
            return n;
        }
    }
}
