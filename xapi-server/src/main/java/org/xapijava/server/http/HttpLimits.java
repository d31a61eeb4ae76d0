package org.xapijava.server.http;

import java.time.Duration;
import org.xapijava.server.config.XapiConfig;

/**
 * The limits Xapi puts on its TCP HTTP server ({@code http_svr.ml}, {@code http.ml},
 * {@code xapi_globs.ml}, {@code xapi_mgmt_iface.ml}), as read from the configuration.
 *
 * <ul>
 *   <li>{@code max-connections} (Xapi {@code conn_limit_tcp} = 800): connections served at once; the
 *       accept loop stops accepting at the cap and resumes when one closes (others wait in the
 *       listen backlog of {@link #LISTEN_BACKLOG}).</li>
 *   <li>{@code max-header-length} (Xapi {@code max_header_length_tcp} = 1024): the request line and
 *       headers, up to and including the blank line, may take {@code max-header-length - 18} bytes
 *       (Xapi first reads the 18 bytes of its smallest request, {@code "GET / HTTP/1.0\r\n\r\n"}, to
 *       look for a frame header, and counts the limit from there); more is
 *       {@code 431 Request Header Fields Too Large}.</li>
 *   <li>{@code header-read-timeout} (Xapi {@code header_read_timeout_tcp} = 10 s): longest silence
 *       while the headers of a connection's first request arrive; then {@code 408}.</li>
 *   <li>{@code header-total-timeout} (Xapi {@code header_total_timeout_tcp} = 60 s): longest time for
 *       all headers of a connection's first request; then {@code 408}.</li>
 * </ul>
 * After the first request's headers Xapi reads with no timeout at all (keep-alive connections and
 * bodies included), and so does this server. RPC bodies are limited separately
 * ({@link RpcHandler#MAX_RPC_SIZE}).
 *
 * @param maxConnections     TCP connections served at once
 * @param maxHeaderBytes     bytes of request line and headers accepted (already net of the 18-byte probe)
 * @param headerReadTimeout  longest silence before the first request's headers are complete (zero: none)
 * @param headerTotalTimeout longest time for the first request's headers (zero: none)
 */
public record HttpLimits(
        int maxConnections, int maxHeaderBytes, Duration headerReadTimeout, Duration headerTotalTimeout) {
    /** Xapi's {@code Xapi_globs.listen_backlog}: connections the kernel queues while the server is at its cap. */
    public static final int LISTEN_BACKLOG = 128;

    /** Length of Xapi's frame-header probe, {@code String.length "GET / HTTP/1.0\r\n\r\n"} ({@code http.ml}). */
    static final int FRAME_PROBE = 18;

    public HttpLimits {
        if (maxConnections <= 0 || maxHeaderBytes <= 0) throw new IllegalArgumentException("limits must be positive");
        if (headerReadTimeout.isNegative() || headerTotalTimeout.isNegative()) {
            throw new IllegalArgumentException("timeouts must not be negative");
        }
    }

    /**
     * The limits of the configuration keys {@code max-connections}, {@code max-header-length},
     * {@code header-read-timeout} and {@code header-total-timeout} (seconds, decimals allowed).
     */
    public static HttpLimits of(XapiConfig config) {
        int maxHeaderLength = config.integer("max-header-length");
        if (maxHeaderLength <= FRAME_PROBE)
            throw new IllegalArgumentException("max-header-length must exceed " + FRAME_PROBE);
        return new HttpLimits(
                config.integer("max-connections"),
                maxHeaderLength - FRAME_PROBE,
                seconds(config, "header-read-timeout"),
                seconds(config, "header-total-timeout"));
    }

    private static Duration seconds(XapiConfig config, String key) {
        String v = config.get(key);
        try {
            return Duration.ofNanos(Math.round(Double.parseDouble(v) * 1e9));
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(key + ": not a number of seconds: " + v);
        }
    }
}
