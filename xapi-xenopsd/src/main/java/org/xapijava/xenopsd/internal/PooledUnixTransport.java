package org.xapijava.xenopsd.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import org.xapijava.xenopsd.XenopsProtocolException;
import org.xapijava.xenopsd.XenopsTimeoutException;
import org.xapijava.xenopsd.XenopsUnavailableException;

/**
 * The client transport: HTTP/1.1 on xenopsd's Unix domain socket with blocking channel I/O
 * ({@link HttpClientConnection}), connections kept alive and pooled (at most {@link #MAX_IDLE} idle).
 * Kept hand-written rather than on Jetty's HTTP client because it is measurably faster for xenopsd's small
 * calls (see {@code docs/decisions.md}, "xenopsd HTTP: Jetty or hand-written", and the benchmark
 * {@code org.xapijava.bench.xenopsd.XenopsHttpBench}).
 *
 * <p>The real xenopsd answers one request per connection and then closes it; a pooled connection found closed
 * before any byte of the answer arrived is therefore replaced and the request sent once more on a fresh
 * connection (the server never read it). Time limits close the channel ({@link Deadlines}).
 *
 * <p>Thread-safe: the idle pool is a lock-free deque; a connection is used by one caller at a time.
 */
public final class PooledUnixTransport implements XenopsTransport {

    /** Idle connections kept for reuse; more concurrent callers open extra connections that are then closed. */
    public static final int MAX_IDLE = 16;

    private static final String USER_AGENT = "xapi";

    private final Path socket;
    private final long connectTimeoutNanos;
    private final ConcurrentLinkedDeque<HttpClientConnection> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger idleCount = new AtomicInteger();
    private volatile boolean closed;

    public PooledUnixTransport(Path socket, Duration connectTimeout) {
        this.socket = Objects.requireNonNull(socket);
        this.connectTimeoutNanos = connectTimeout.toNanos();
    }

    @Override
    public HttpClientConnection.Response exchange(String method, byte[] request, long timeoutNanos) {
        boolean retried = false;
        for (; ; ) {
            if (closed) throw new XenopsUnavailableException("xenopsd client is closed", null);
            HttpClientConnection c = borrow();
            boolean fresh = c == null;
            try {
                if (fresh) c = HttpClientConnection.connect(socket, connectTimeoutNanos);
            } catch (HttpClientConnection.TimeoutIOException e) {
                throw new XenopsTimeoutException("connecting to xenopsd at " + socket + " timed out");
            } catch (IOException e) {
                throw new XenopsUnavailableException("cannot connect to xenopsd at " + socket + ": " + e, e);
            }
            try (Deadlines.Deadline d =
                    timeoutNanos < 0 ? Deadlines.never() : Deadlines.arm(c.channel(), timeoutNanos)) {
                HttpClientConnection.Response r;
                try {
                    r = c.post(socket.toString(), request, USER_AGENT);
                } catch (IOException e) {
                    c.close();
                    if (d.expired()) {
                        throw new XenopsTimeoutException("xenopsd did not answer " + method + " within "
                                + Duration.ofNanos(timeoutNanos) + " (" + socket + ")");
                    }
                    if (e instanceof HttpClientConnection.ProtocolIOException) {
                        throw new XenopsProtocolException(
                                "xenopsd answered " + method + " with bad HTTP: " + e.getMessage(), e);
                    }
                    if (!fresh && !retried && c.bytesReadThisExchange() == 0) {
                        retried = true; // the server had closed the pooled connection: it never read this request
                        continue;
                    }
                    throw new XenopsUnavailableException("connection to xenopsd broke during " + method + ": " + e, e);
                }
                if (d.expired()) { // fired after the last byte was read: the answer is complete, the channel gone
                    c.close();
                } else {
                    giveBack(c, r.keepAlive());
                }
                return r;
            }
        }
    }

    private HttpClientConnection borrow() {
        HttpClientConnection c;
        while ((c = idle.pollFirst()) != null) {
            idleCount.decrementAndGet();
            if (c.idleAndOpen()) return c;
            c.close();
        }
        return null;
    }

    private void giveBack(HttpClientConnection c, boolean keepAlive) {
        if (!keepAlive || closed || idleCount.incrementAndGet() > MAX_IDLE) {
            if (keepAlive && !closed) idleCount.decrementAndGet();
            c.close();
            return;
        }
        idle.offerFirst(c);
        if (closed) drain();
    }

    private void drain() {
        HttpClientConnection c;
        while ((c = idle.pollFirst()) != null) {
            idleCount.decrementAndGet();
            c.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        drain();
    }
}
