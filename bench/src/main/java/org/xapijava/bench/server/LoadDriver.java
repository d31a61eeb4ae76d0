package org.xapijava.bench.server;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Closed-loop load on one server: one platform thread per keep-alive connection, each sending its own
 * fixed request again as soon as the previous response has been read whole. Platform threads (not
 * virtual ones) because a blocking socket read on a platform thread is one system call, while a virtual
 * thread adds the JDK poller's park and unpark to every call: the client's share of the two cores is
 * kept as small as possible.
 *
 * <p>Every response must be HTTP 200 with exactly the body length {@link #calibrate()} saw on that
 * connection (the same request always gets the same answer here), so a failing server cannot pass
 * for a fast one. Not thread-safe: one round at a time.
 */
public final class LoadDriver implements Closeable {
    private final List<RawHttpConnection> connections = new ArrayList<>();
    private final List<byte[]> requests;
    private final long[] expectedLength;

    /**
     * Opens one connection per request.
     *
     * @param requests   complete request bytes (see {@link RawHttpConnection#post}), one per connection
     * @param bufferSize receive buffer per connection
     */
    public LoadDriver(InetSocketAddress address, List<byte[]> requests, int bufferSize) throws IOException {
        this.requests = List.copyOf(requests);
        this.expectedLength = new long[requests.size()];
        try {
            for (int i = 0; i < requests.size(); i++) connections.add(new RawHttpConnection(address, bufferSize));
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /**
     * Sends each connection's request once, records the body lengths later responses must match, and
     * returns the first connection's body (for the caller to check its content).
     */
    public byte[] calibrate() throws IOException {
        byte[] first = null;
        for (int i = 0; i < connections.size(); i++) {
            RawHttpConnection.Body b = RawHttpConnection.Body.keeping(16 * 1024);
            int status = connections.get(i).exchange(requests.get(i), b);
            if (status != 200) throw new IOException("HTTP " + status + " while calibrating");
            expectedLength[i] = b.length();
            if (i == 0) first = b.bytes();
        }
        return first;
    }

    /** One timed round: how many calls completed, over how long. */
    public record Round(long calls, long nanos) {
        public double perSecond() {
            return calls * 1e9 / nanos;
        }
    }

    /**
     * Runs all connections for {@code duration}: every thread starts at the same instant and stops
     * sending once the duration has passed; the round ends when the last thread has read its last
     * response (its elapsed time counts to there, so no call is counted without its time).
     *
     * @throws IOException the first failure of any connection (wrong status, length, or I/O)
     */
    public Round run(Duration duration) throws IOException, InterruptedException {
        int n = connections.size();
        long[] calls = new long[n];
        long[] finished = new long[n];
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        long[] startAt = new long[1];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int k = i;
            threads.add(Thread.ofPlatform().name("load-" + i).start(() -> {
                RawHttpConnection c = connections.get(k);
                byte[] req = requests.get(k);
                long expect = expectedLength[k];
                RawHttpConnection.Body body = RawHttpConnection.Body.counting();
                long count = 0;
                try {
                    ready.countDown();
                    go.await();
                    long end = startAt[0] + duration.toNanos();
                    while (System.nanoTime() < end) {
                        int status = c.exchange(req, body);
                        if (status != 200 || body.length() != expect) {
                            throw new IOException("connection " + k + ": HTTP " + status + ", " + body.length()
                                    + " body bytes, expected " + expect);
                        }
                        count++;
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    calls[k] = count;
                    finished[k] = System.nanoTime();
                }
            }));
        }
        ready.await();
        startAt[0] = System.nanoTime();
        go.countDown(); // happens-before every thread's read of startAt
        for (Thread t : threads) t.join();
        Throwable f = failure.get();
        if (f instanceof IOException io) throw io;
        if (f != null) throw new IOException(f);
        long total = 0;
        long last = startAt[0];
        for (int i = 0; i < n; i++) {
            total += calls[i];
            last = Math.max(last, finished[i]);
        }
        return new Round(total, last - startAt[0]);
    }

    @Override
    public void close() {
        for (RawHttpConnection c : connections) {
            try {
                c.close();
            } catch (IOException e) {
                // closing a socket of a finished benchmark: nothing to do
            }
        }
    }
}
