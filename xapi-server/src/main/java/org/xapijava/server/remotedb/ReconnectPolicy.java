package org.xapijava.server.remotedb;

import java.time.Duration;

/**
 * How a member's {@link RemoteDbClient} keeps trying when its connection to the master fails (Xapi's
 * {@code master_connection.ml do_db_xml_rpc_persistent_with_reopen}): after a failure it waits
 * {@code initialDelay}, then twice as long after each further failure up to {@code maxDelay}, reconnecting each
 * time, and gives up with {@link RemoteDbUnavailableException} once a call has lasted longer than {@code timeout}
 * ({@code null}: never gives up, Xapi's {@code connection_timeout = -1}). {@code readTimeout} is how long one
 * answer may take before the connection is treated as dead (Xapi's watchdog, {@code master_connection_reset_timeout}).
 * Immutable.
 */
public record ReconnectPolicy(Duration initialDelay, Duration maxDelay, Duration timeout, Duration readTimeout) {
    /** Xapi's backoff, 2 s doubling to 256 s, and its watchdog of 120 s. */
    public static final Duration XAPI_INITIAL_DELAY = Duration.ofSeconds(2);

    public static final Duration XAPI_MAX_DELAY = Duration.ofSeconds(256);
    public static final Duration XAPI_READ_TIMEOUT = Duration.ofSeconds(120);

    /** What Xapi uses during a member's start-up database sync: give up after 10 s. */
    public static final ReconnectPolicy XAPI_STARTUP =
            new ReconnectPolicy(XAPI_INITIAL_DELAY, XAPI_MAX_DELAY, Duration.ofSeconds(10), XAPI_READ_TIMEOUT);

    /** What Xapi uses afterwards by default ({@code master_connection_retry_timeout = -1}): never give up. */
    public static final ReconnectPolicy XAPI_FOREVER =
            new ReconnectPolicy(XAPI_INITIAL_DELAY, XAPI_MAX_DELAY, null, XAPI_READ_TIMEOUT);

    public ReconnectPolicy {
        if (initialDelay.isNegative() || maxDelay.compareTo(initialDelay) < 0)
            throw new IllegalArgumentException("delays must satisfy 0 <= initial <= max");
        if (timeout != null && timeout.isNegative()) throw new IllegalArgumentException("negative timeout");
        if (readTimeout.isNegative() || readTimeout.isZero())
            throw new IllegalArgumentException("read timeout must be positive");
    }

    /** Xapi's backoff with another overall timeout ({@code null}: none). */
    public static ReconnectPolicy xapi(Duration timeout) {
        return new ReconnectPolicy(XAPI_INITIAL_DELAY, XAPI_MAX_DELAY, timeout, XAPI_READ_TIMEOUT);
    }

    /** The delay after {@code delay}: doubled, at most {@link #maxDelay} (Xapi's {@code update_backoff_delay}). */
    Duration next(Duration delay) {
        Duration d = delay.multipliedBy(2);
        if (d.compareTo(initialDelay) < 0) return initialDelay;
        return d.compareTo(maxDelay) > 0 ? maxDelay : d;
    }
}
