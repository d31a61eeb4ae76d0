package org.xapijava.server.xenops;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.FieldReads;
import org.xapijava.model.api.VDI;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.storage.StorageBackends;
import org.xapijava.server.transfer.VdiPush;
import org.xapijava.xenopsd.TaskInfo;
import org.xapijava.xenopsd.Xenops;
import org.xapijava.xenopsd.XenopsClient;

/**
 * A disk {@code VM.migrate_send} copies, within the pool ({@link MigrateSend}) or to another
 * ({@link CrossPoolMigrate}): the VM or snapshot it belongs to, its VBD (null for a suspend image), its VDI and size,
 * the SR it goes to, whether the running VM writes it (copied again once the VM is paused), the new VDI once made
 * and what was sent into it; with the copy rounds both paths share. Not thread-safe (one migration's).
 */
final class DiskCopy {
    private static final Logger LOG = LoggerFactory.getLogger(DiskCopy.class);
    private static final Duration REMOTE_TIMEOUT = Duration.ofMinutes(5);

    final String owner;
    final String vbd;
    final String vdi;
    final long size;
    final String sr;
    final boolean live;
    String created;
    VdiPush.Sent sent;

    DiskCopy(FieldReads r, String owner, String vbd, String vdi, String sr, boolean live) {
        this.owner = owner;
        this.vbd = vbd;
        this.vdi = vdi;
        this.size = r.get(vdi, VDI.VIRTUAL_SIZE);
        this.sr = sr;
        this.live = live;
    }

    /**
     * Each disk copied into its new VDI over {@code target}'s {@code PUT /import_raw_vdi} while the VM runs, the
     * task's progress told as a fraction of the bytes (90% at the end), its cancellation looked at every block.
     */
    static void copyAll(
            CallContext ctx,
            StorageBackends backends,
            List<DiskCopy> copies,
            Function<DiskCopy, URI> target,
            javax.net.ssl.SSLContext tls) {
        long total = 0;
        for (DiskCopy c : copies) total += c.size;
        long all = Math.max(1, total);
        long done = 0;
        for (DiskCopy c : copies) {
            long before = done;
            LOG.info("VM.migrate_send: copying VDI {} into {}", c.vdi, c.created);
            c.sent = VdiPush.push(
                    backends,
                    c.vdi,
                    c.size,
                    target.apply(c),
                    tls,
                    "migrate_send/" + c.created,
                    ctx::checkCancelled,
                    f -> ctx.setProgress(0.9 * (before + f * c.size) / all));
            done += c.size;
        }
    }

    /** With the VM paused: the blocks of the disks it writes that changed since their copy, copied again. */
    static void copyChanges(
            CallContext ctx,
            StorageBackends backends,
            List<DiskCopy> copies,
            Function<DiskCopy, URI> target,
            javax.net.ssl.SSLContext tls) {
        for (DiskCopy c : copies) {
            if (!c.live) continue;
            int n = VdiPush.pushChanges(
                    backends, c.vdi, c.sent, target.apply(c), tls, "migrate_send/" + c.created, ctx::checkCancelled);
            LOG.info("VM.migrate_send: VDI {}: {} blocks written during the copy copied again", c.vdi, n);
        }
    }

    /** After a failure before the VM left: unpaused here if xenopsd still has it (paused). */
    static void unpauseHere(CallContext ctx, Xenops xenops, TaskBinding taskBinding, String id) {
        try {
            String dbg = TaskBinding.dbg(ctx);
            if (xenops.vmExists(dbg, id)) taskBinding.sync(ctx, xenops.vmUnpause(dbg, id));
        } catch (RuntimeException e) {
            LOG.warn("VM.migrate_send {}: unpausing after a failure: {}", id, e.toString());
        }
    }

    /**
     * {@code VM.unpause} of {@code id} through the destination's xenopsd at {@code url} (a migration of a VM it was
     * given paused leaves it paused), its task followed until it ends; an {@code https} URL over {@code tls}.
     */
    static void unpauseRemote(String dbg, String id, String url, javax.net.ssl.SSLContext tls) {
        try (XenopsClient remote = XenopsClient.overHttp(URI.create(url), REMOTE_TIMEOUT, tls)) {
            String t = remote.vmUnpause(dbg, id);
            try {
                TaskInfo info = remote.taskStat(dbg, t);
                while (info.state() instanceof TaskInfo.Pending) {
                    Thread.sleep(20);
                    info = remote.taskStat(dbg, t);
                }
                if (info.state() instanceof TaskInfo.Failed f) throw f.toError();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw ApiError.internal("interrupted while unpausing " + id);
            } finally {
                remote.taskDestroy(dbg, t);
            }
        }
    }
}
