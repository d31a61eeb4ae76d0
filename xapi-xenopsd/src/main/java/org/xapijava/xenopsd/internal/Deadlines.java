package org.xapijava.xenopsd.internal;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Time limits for blocking socket I/O. A Unix-domain {@code SocketChannel} has no read timeout, so a
 * {@link Deadline} closes the channel when it expires: the blocked read or write then fails at once (with
 * {@code AsynchronousCloseException}), and {@link Deadline#expired()} tells the caller why. This keeps plain
 * blocking I/O, which parks a virtual thread rather than pinning a carrier.
 *
 * <p>One daemon platform thread fires all deadlines of the process. Thread-safe.
 */
public final class Deadlines {
    private Deadlines() {}

    private static final ScheduledThreadPoolExecutor TIMER;

    static {
        TIMER = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "xenopsd-io-deadlines");
            t.setDaemon(true);
            return t;
        });
        TIMER.setRemoveOnCancelPolicy(true); // a cancelled deadline must not linger until its time
    }

    /** An armed deadline; {@link #close()} disarms it. */
    public static final class Deadline implements AutoCloseable {
        private final AtomicBoolean expired = new AtomicBoolean();
        private final ScheduledFuture<?> future;

        private Deadline() {
            this.future = null;
        }

        private Deadline(Closeable target, long nanos) {
            this.future = TIMER.schedule(
                    () -> {
                        expired.set(true);
                        try {
                            target.close();
                        } catch (IOException ignored) {
                            // closing is all we can do
                        }
                    },
                    nanos,
                    TimeUnit.NANOSECONDS);
        }

        public boolean expired() {
            return expired.get();
        }

        @Override
        public void close() {
            if (future != null) future.cancel(false);
        }
    }

    /** Closes {@code target} after {@code nanos} unless the returned deadline is closed first. */
    public static Deadline arm(Closeable target, long nanos) {
        return new Deadline(target, Math.max(nanos, 0));
    }

    /** A deadline that never fires. */
    public static Deadline never() {
        return NEVER;
    }

    private static final Deadline NEVER = new Deadline();
}
