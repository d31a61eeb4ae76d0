package org.xapijava.xenopsd.internal;

import org.xapijava.xenopsd.XenopsProtocolException;
import org.xapijava.xenopsd.XenopsTimeoutException;
import org.xapijava.xenopsd.XenopsUnavailableException;

/**
 * How {@link org.xapijava.xenopsd.XenopsClient} carries one encoded call to xenopsd and brings its HTTP answer
 * back. The implementation in use is {@link PooledUnixTransport}; the benchmarks plug in alternatives to compare.
 *
 * <p>Implementations are thread-safe: many callers exchange at once.
 */
public interface XenopsTransport extends AutoCloseable {

    /**
     * POSTs {@code request} and returns the response, whatever its status.
     *
     * @param method       the call's name, for messages
     * @param timeoutNanos the time limit of the whole exchange, or a negative number for none
     * @throws XenopsTimeoutException     the connect timeout or {@code timeoutNanos} expired
     * @throws XenopsProtocolException    the answer is not HTTP as expected
     * @throws XenopsUnavailableException no daemon, or the connection broke
     */
    HttpClientConnection.Response exchange(String method, byte[] request, long timeoutNanos);

    /** Closes pooled connections; later exchanges fail with {@link XenopsUnavailableException}. */
    @Override
    void close();
}
