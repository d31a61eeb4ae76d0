package org.xapijava.server.event;

import java.time.Duration;

/**
 * Xapi's {@code Throttle.Batching}: how long an event call sleeps before its first look and between
 * a wake-up and the next look, so that a burst of changes comes back as one batch. The delay after
 * the n-th wake-up is {@code min(between, between/16 * 2^n)}: 6.25 ms, 12.5 ms, 25 ms, then
 * {@code between}. Immutable.
 *
 * @param before  slept once before the first look (zero: the thread only yields)
 * @param between the cap of the delays after wake-ups
 */
public record Batching(Duration before, Duration between) {
    /** {@code event_from_delay} of {@code xapi_globs.ml}. */
    public static final Batching EVENT_FROM = new Batching(Duration.ofMillis(50), Duration.ofMillis(50));
    /** {@code event_from_task_delay}: used when every subscription is about tasks. */
    public static final Batching EVENT_FROM_TASK = new Batching(Duration.ZERO, Duration.ofMillis(50));
    /** {@code event_next_delay}. */
    public static final Batching EVENT_NEXT = new Batching(Duration.ofMillis(200), Duration.ofMillis(50));

    /** Xapi's {@code delay_initial}: a sixteenth of {@link #between}. */
    long initialNanos() {
        return between.toNanos() / 16;
    }

    /** The delay after a wake-up that followed the delay {@code previousNanos}. */
    long nextNanos(long previousNanos) {
        return Math.min(between.toNanos(), 2 * previousNanos);
    }

    /** Xapi's {@code perform_delay ~yield:true} of {@link #before}. */
    void sleepBefore() throws InterruptedException {
        if (before.isZero() || before.isNegative()) {
            Thread.yield();
        } else {
            Thread.sleep(before);
        }
    }

    static void sleepNanos(long nanos) throws InterruptedException {
        if (nanos > 0) Thread.sleep(Duration.ofNanos(nanos));
    }
}
