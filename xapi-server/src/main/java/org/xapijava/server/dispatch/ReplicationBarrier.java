package org.xapijava.server.dispatch;

/**
 * Holds a call's answer on the pool master until the pool's members hold what the call wrote (beyond Xapi: no write
 * a client saw acknowledged is lost when a member is made master after the master died). {@link #mark} before the
 * call, {@link #await} after it. Implementations are thread-safe.
 */
public interface ReplicationBarrier {
    /** The database's generation now. */
    long mark();

    /** Returns once the members in step hold everything committed since {@code mark}, or their wait timed out. */
    void await(long mark);

    /** No members to wait for. */
    ReplicationBarrier NONE = new ReplicationBarrier() {
        @Override
        public long mark() {
            return 0;
        }

        @Override
        public void await(long mark) {}
    };
}
