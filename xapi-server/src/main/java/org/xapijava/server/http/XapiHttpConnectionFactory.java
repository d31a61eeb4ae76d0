package org.xapijava.server.http;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * HTTP/1.1 connections with Xapi's header limits.
 *
 * <p><b>Size.</b> A request head (request line, headers, blank line) may take
 * {@link HttpConfiguration#getRequestHeaderSize()} bytes, counted on the wire as Xapi counts them
 * ({@code http.ml:read_http_request_header}); one byte more is {@code 431} (Xapi's page). Jetty's own
 * counter skips carriage returns and cached header lines, so it stays as a backstop only.
 *
 * <p><b>Time.</b> Xapi's header timeouts ({@code http_svr.ml:handle_connection}): while
 * the headers of a connection's <em>first</em> request arrive, a silence longer than the read
 * timeout, or more than the total timeout in all, is answered with Xapi's {@code 408} page and the
 * connection is closed (Jetty alone would close silently, and has no total timeout). Once those
 * headers are complete the connection reads with no timeout at all, as Xapi's does (its loop passes
 * no timeouts for later requests, and body reads never had one).
 *
 * <p>The connector's idle timeout must be {@link #connectorIdleTimeout()} (Jetty measures silence
 * with it).
 */
public final class XapiHttpConnectionFactory extends HttpConnectionFactory {
    private final Duration readTimeout;
    private final Duration totalTimeout;

    /**
     * @param readTimeout  longest silence before the first request's headers are complete; zero for none
     * @param totalTimeout longest time for those headers in all; zero for none
     */
    public XapiHttpConnectionFactory(HttpConfiguration config, Duration readTimeout, Duration totalTimeout) {
        super(config);
        this.readTimeout = readTimeout;
        this.totalTimeout = totalTimeout;
    }

    /** The idle timeout a connector using this factory must have (milliseconds; -1: none). */
    public long connectorIdleTimeout() {
        return readTimeout.isZero() ? -1 : Math.max(1, readTimeout.toMillis());
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        XapiConnection c =
                new XapiConnection(getHttpConfiguration(), connector, endPoint, isRecordHttpComplianceViolations());
        c.setUseInputDirectByteBuffers(isUseInputDirectByteBuffers());
        c.setUseOutputDirectByteBuffers(isUseOutputDirectByteBuffers());
        return configure(c, connector, endPoint);
    }

    /** Xapi's {@code response_request_timeout}, byte for byte (status line, headers, HTML page). */
    static final byte[] REQUEST_TIMEOUT = HttpErrors.rawPage("408 Request Timeout", HttpErrors.REQUEST_TIMEOUT);

    /** {@code Http.make_frame_header}: {@code FRAME } and the head's length in 12 digits, as long as Xapi's smallest request. */
    static final int FRAME_HEADER_LENGTH = 18;

    private static final byte[] FRAME = "FRAME ".getBytes(StandardCharsets.US_ASCII);

    /**
     * Jetty's parser, fed at most the head bytes still allowed: a head that is not complete within the allowance is
     * refused with 431 through the parser's own bad-message path.
     *
     * <p><b>Framed requests</b> ({@code Http.Request.to_wire_string} with {@code frame}, what a Xapi pool member sends
     * to its master's {@code /remote_db_access}): a request may start with {@code FRAME <12-digit head length>}, which
     * is taken off; such requests carry no Host header, which Jetty refuses in HTTP/1.1, so a Host line naming this
     * end of the connection is fed to the parser just before the head's final blank line (its place is known from the
     * frame) when the head had none. Xapi's client reads an answer with or without a frame header: answers go
     * unframed.
     */
    private static final class XapiParser extends HttpParser {
        private final int maxHeadBytes;
        private final byte[] hostLine;
        /** Bytes of the current request head consumed so far. */
        private int headBytes;
        /** Bytes of a framed head still to parse before its final line break, or -1 (not framed, or done). */
        private int framedHeadLeft = -1;
        /** The bytes of a frame header taken so far. */
        private final byte[] frame = new byte[FRAME_HEADER_LENGTH];

        private int frameTaken;
        /** Whether the current request's head had a Host header (told by the request handler). */
        boolean sawHost;

        XapiParser(RequestHandler handler, int maxHeadBytes, HttpCompliance compliance, String localHost) {
            super(handler, maxHeadBytes, compliance);
            this.maxHeadBytes = maxHeadBytes;
            this.hostLine = ("Host: " + localHost + "\r\n").getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public boolean parseNext(ByteBuffer buffer) {
            if (getState() == State.START && framedHeadLeft < 0) {
                // the bytes of a frame header are taken as they come (Jetty fills its buffer again only once the
                // parser has taken everything); bytes that turn out not to be one go to the parser after all
                while (frameTaken < FRAME_HEADER_LENGTH && buffer.hasRemaining()) {
                    byte c = buffer.get(buffer.position());
                    boolean fits = frameTaken < FRAME.length ? c == FRAME[frameTaken] : c >= '0' && c <= '9';
                    if (!fits) break;
                    frame[frameTaken++] = c;
                    buffer.position(buffer.position() + 1);
                }
                if (frameTaken == FRAME_HEADER_LENGTH) {
                    long head = 0;
                    for (int i = FRAME.length; i < FRAME_HEADER_LENGTH; i++) head = head * 10 + (frame[i] - '0');
                    frameTaken = 0;
                    framedHeadLeft = (int) Math.max(0, Math.min(head - 2, Integer.MAX_VALUE));
                } else if (frameTaken > 0) {
                    if (!buffer.hasRemaining()) return false; // a frame header so far: wait for the rest
                    ByteBuffer taken = ByteBuffer.wrap(frame, 0, frameTaken);
                    frameTaken = 0;
                    boolean handle = parseWithinAllowance(taken);
                    State state = getState();
                    if (handle || state == State.CLOSE || state == State.CLOSED) return handle;
                }
            }
            if (framedHeadLeft > 0 && inHeaderState()) {
                ByteBuffer view = buffer.duplicate();
                view.limit(Math.min(buffer.limit(), buffer.position() + framedHeadLeft));
                int before = view.position();
                boolean handle = parseWithinAllowance(view);
                State state = getState();
                if (state == State.CLOSE || state == State.CLOSED)
                    return handle; // a bad message: Jetty owns the buffer
                buffer.position(view.position());
                framedHeadLeft -= view.position() - before;
                if (handle || !inHeaderState() || framedHeadLeft > 0) return handle;
            }
            if (framedHeadLeft == 0) {
                framedHeadLeft = -1;
                if (!sawHost && inHeaderState()) {
                    boolean handle = parseWithinAllowance(ByteBuffer.wrap(hostLine));
                    if (handle || !inHeaderState()) return handle;
                }
            }
            return parseWithinAllowance(buffer);
        }

        private boolean parseWithinAllowance(ByteBuffer buffer) {
            if (!inHeaderState()) return super.parseNext(buffer);
            int start = buffer.position();
            int allowance = maxHeadBytes - headBytes;
            if (buffer.remaining() <= allowance) {
                boolean handle = super.parseNext(buffer);
                headBytes += buffer.position() - start;
                return handle;
            }
            // More bytes than the head may still take: the parser sees the allowance only, through a
            // view, so that the connection's (pooled) buffer is never touched behind Jetty's back.
            ByteBuffer view = buffer.duplicate();
            view.limit(start + allowance);
            boolean handle = super.parseNext(view);
            State state = getState();
            if (state == State.CLOSE || state == State.CLOSED) return handle; // a bad message: Jetty owns the buffer
            buffer.position(view.position());
            headBytes += view.position() - start;
            if (inHeaderState() && headBytes >= maxHeadBytes) {
                badMessage(new BadMessageException(HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE_431));
                return false;
            }
            return handle;
        }

        @Override
        public void reset() {
            super.reset();
            headBytes = 0;
            framedHeadLeft = -1;
            frameTaken = 0;
            sawHost = false;
        }
    }

    private final class XapiConnection extends HttpConnection {
        /** Set once the first request's headers are complete, or once the connection timed out. */
        private final AtomicBoolean settled = new AtomicBoolean();

        private volatile Scheduler.Task deadline;

        XapiConnection(HttpConfiguration config, Connector connector, EndPoint endPoint, boolean recordViolations) {
            super(config, connector, endPoint, recordViolations);
        }

        /** Set by {@link #newRequestHandler()} during the super constructor: no initializer, on purpose. */
        private RequestHandler requestHandler;

        /** Set by {@link #newHttpParser} during the super constructor: no initializer, on purpose. */
        private XapiParser parser;

        /** This end's address, for the Host line of a framed request. */
        private String localHost() {
            SocketAddress a = getEndPoint().getLocalSocketAddress();
            if (a instanceof InetSocketAddress i) {
                String h = i.getAddress() == null
                        ? i.getHostString()
                        : i.getAddress().getHostAddress();
                return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + i.getPort();
            }
            return "localhost";
        }

        @Override
        protected RequestHandler newRequestHandler() {
            requestHandler = new XapiRequestHandler();
            return requestHandler;
        }

        @Override
        protected HttpParser newHttpParser(HttpCompliance compliance) {
            HttpConfiguration c = getHttpConfiguration();
            XapiParser p = new XapiParser(requestHandler, c.getRequestHeaderSize(), compliance, localHost());
            parser = p;
            p.setHeaderCacheSize(c.getHeaderCacheSize());
            p.setHeaderCacheCaseSensitive(c.isHeaderCacheCaseSensitive());
            return p;
        }

        @Override
        public void onOpen() {
            if (!totalTimeout.isZero()) {
                deadline = getConnector()
                        .getScheduler()
                        .schedule(this::headersTimedOut, totalTimeout.toNanos(), TimeUnit.NANOSECONDS);
            }
            super.onOpen();
        }

        @Override
        public void onClose(Throwable cause) {
            settled.set(true);
            cancelDeadline();
            super.onClose(cause);
        }

        @Override
        public boolean onIdleExpired(TimeoutException timeout) {
            if (!settled.get() && getMessagesIn() == 0) {
                headersTimedOut();
                return false;
            }
            return super.onIdleExpired(timeout);
        }

        /** Called once the first request's headers are parsed: from now on, no timeouts. */
        private void firstHeadersComplete() {
            if (settled.compareAndSet(false, true)) {
                cancelDeadline();
                getEndPoint().setIdleTimeout(-1);
            }
        }

        private void headersTimedOut() {
            if (!settled.compareAndSet(false, true)) return;
            cancelDeadline();
            EndPoint ep = getEndPoint();
            ep.write(Callback.from(ep::close, x -> ep.close(x)), ByteBuffer.wrap(REQUEST_TIMEOUT));
        }

        private void cancelDeadline() {
            Scheduler.Task t = deadline;
            if (t != null) t.cancel();
        }

        private final class XapiRequestHandler extends RequestHandler {
            @Override
            public void parsedHeader(HttpField field) {
                if (field.getHeader() == HttpHeader.HOST && parser != null) parser.sawHost = true;
                super.parsedHeader(field);
            }

            @Override
            public boolean headerComplete() {
                firstHeadersComplete();
                return super.headerComplete();
            }
        }
    }
}
