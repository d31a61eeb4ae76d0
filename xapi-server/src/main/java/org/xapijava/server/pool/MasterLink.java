package org.xapijava.server.pool;

import org.xapijava.db.Update;

/**
 * A pool member's writes to its master's database (the write half of Xapi's {@code Db_remote_cache_access}; reads
 * are served by the member's replica). Implementations are thread-safe.
 */
public interface MasterLink {
    /**
     * Applies {@code update} on the master's database, atomically, and returns the master's published generation
     * once it is committed (a replica holding that generation holds the update).
     *
     * @throws org.xapijava.model.errors.ApiError the master's refusal (a precondition's error, HANDLE_INVALID, ...)
     * @throws org.xapijava.db.Db.Conflict         an optimistic precondition failed
     *     (and {@code INTERNAL_ERROR} when the master could not be reached in time)
     */
    long apply(Update update);

    /**
     * Recomputes {@code allowed_operations} of {@code cls/ref} on the master (its checkers read the whole pool's
     * state in one transaction there) and returns the master's generation after it.
     */
    long updateAllowedOperations(String cls, String ref);
}
