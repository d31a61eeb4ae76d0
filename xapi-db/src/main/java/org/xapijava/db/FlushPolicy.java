package org.xapijava.db;

import java.time.Duration;

/**
 * When the {@link FlushScheduler} writes {@code state.db}: it wakes every {@code checkInterval} and
 * writes when the generation increased since the last write and at least {@code minInterval} has
 * passed since then.
 */
public record FlushPolicy(String name, Duration checkInterval, Duration minInterval) {

    /** Xapi's coalescing policy ({@code Db_backend.db_FLUSH_TIMER} 2 s, write at most every 300 s). */
    public static final FlushPolicy XAPI = new FlushPolicy("xapi", Duration.ofSeconds(2), Duration.ofSeconds(300));

    /** Write whenever the generation increased, checked every {@code interval}. */
    public static FlushPolicy eager(Duration interval) {
        return new FlushPolicy("eager", interval, Duration.ZERO);
    }
}
