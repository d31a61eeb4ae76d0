package org.xapijava.server.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutionException;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.FutureCallback;

/**
 * Blocking streams straight on a connection's {@link EndPoint}, for a handler that answers without HTTP (Xapi's
 * {@code /cli} writes its banner as the first bytes of the reply). Only for a request whose body was read in full,
 * on the request's thread; the caller closes the end point afterwards.
 */
final class EndPointStreams {
    private EndPointStreams() {}

    static InputStream in(EndPoint ep) {
        return new InputStream() {
            private final ByteBuffer buf = BufferUtil.allocate(16 * 1024);

            private boolean fill() throws IOException {
                while (!buf.hasRemaining()) {
                    BufferUtil.clear(buf);
                    int n = ep.fill(buf);
                    if (n < 0) return false;
                    if (n == 0) await(ep::fillInterested);
                }
                return true;
            }

            @Override
            public int read() throws IOException {
                return fill() ? buf.get() & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) return 0;
                if (!fill()) return -1;
                int n = Math.min(len, buf.remaining());
                buf.get(b, off, n);
                return n;
            }
        };
    }

    static OutputStream out(EndPoint ep) {
        return new OutputStream() {
            private final byte[] buf = new byte[16 * 1024];
            private int n;

            @Override
            public void write(int b) throws IOException {
                if (n == buf.length) flush();
                buf[n++] = (byte) b;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (len > buf.length - n) flush();
                if (len > buf.length) {
                    send(ByteBuffer.wrap(b, off, len));
                    return;
                }
                System.arraycopy(b, off, buf, n, len);
                n += len;
            }

            @Override
            public void flush() throws IOException {
                if (n == 0) return;
                send(ByteBuffer.wrap(buf, 0, n));
                n = 0;
            }

            private void send(ByteBuffer data) throws IOException {
                await(cb -> ep.write(cb, data));
            }
        };
    }

    private interface Start {
        void start(FutureCallback cb) throws IOException;
    }

    private static void await(Start s) throws IOException {
        FutureCallback cb = new FutureCallback();
        s.start(cb);
        try {
            cb.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof IOException io ? io : new IOException(c);
        }
    }
}
