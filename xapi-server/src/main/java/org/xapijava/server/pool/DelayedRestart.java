package org.xapijava.server.pool;

import java.time.Duration;

/**
 * A restart of xapi shortly after the current call (Xapi's {@code light_fuse_and_run}): the call that changed this
 * host's role answers first, then the host restarts in its new role.
 */
public final class DelayedRestart {
    /** Long enough for the answer of the call to leave. */
    public static final Duration AFTER_ANSWER = Duration.ofMillis(200);

    private DelayedRestart() {}

    /** Runs {@code restart} on a thread of its own after {@code delay}. */
    public static void after(Duration delay, Runnable restart) {
        Thread.ofVirtual().name("xapi-restart").start(() -> {
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                return;
            }
            restart.run();
        });
    }
}
