package org.xapijava.server.transfer;

import java.io.IOException;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.HttpParams;
import org.xapijava.server.http.HttpTasks;

/**
 * The bound on transfers running at once ({@code max-transfers}), shared by every import and export handler of a
 * host, and what happens to an error escaping one. Thread-safe.
 */
final class TransferGuard {
    private static final Logger LOG = LoggerFactory.getLogger(TransferGuard.class);

    interface Body {
        void run(HttpCall c) throws IOException;
    }

    private final HttpTasks tasks;
    private final int maxTransfers;
    private final Semaphore slots;

    TransferGuard(HttpTasks tasks, int maxTransfers) {
        this.tasks = tasks;
        this.maxTransfers = maxTransfers;
        this.slots = new Semaphore(maxTransfers);
    }

    /**
     * Runs {@code body} in one of the slots: with none free, {@code 503} and the caller's task fails
     * {@code TOO_BUSY} (nothing is attached). An error escaping the handler fails the caller's task as Xapi's
     * {@code add_handler} does, then is a 500.
     */
    void run(HttpCall c, Body body) throws IOException {
        if (!slots.tryAcquire()) {
            LOG.info("{} refused: {} transfers already running", c.action().name(), maxTransfers);
            c.param(HttpParams.TASK_ID).ifPresent(t -> tasks.fail(t, new ApiError(ErrorCodes.TOO_BUSY)));
            Replies.bare(c, 503, null);
            return;
        }
        try {
            body.run(c);
        } catch (ApiError e) {
            tasks.escaped(c, e);
            throw e;
        } finally {
            slots.release();
        }
    }
}
