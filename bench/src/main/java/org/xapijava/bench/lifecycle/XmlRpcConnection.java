package org.xapijava.bench.lifecycle;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import org.xapijava.bench.server.RawHttpConnection;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.xmlrpc.XmlRpcParseException;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;

/**
 * One XenAPI client connection for the benchmark: XML-RPC over one keep-alive HTTP/1.1 connection
 * ({@link RawHttpConnection}), requests written and answers read with the project's own codec
 * ({@link XmlRpcWriter}, {@link XmlRpcReader}). Every answer is decoded and checked, so a failing server cannot
 * look fast. Not thread-safe: one per client thread.
 */
public final class XmlRpcConnection implements Closeable {
    /** Receive buffer: lifecycle answers are a few hundred bytes; headers must fit. */
    private static final int BUFFER = 16 * 1024;

    private final InetSocketAddress address;
    private RawHttpConnection http;

    public XmlRpcConnection(InetSocketAddress address) throws IOException {
        this.address = address;
        this.http = new RawHttpConnection(address, BUFFER);
    }

    /** The bytes of a complete request for {@code method(params)}, to be sent many times with {@link #send}. */
    static byte[] request(String method, List<?> params) {
        return RawHttpConnection.post("/", "text/xml", XmlRpcWriter.call(method, params));
    }

    /** Calls {@code method(params)}; returns the decoded value. @throws ApiError on a XenAPI failure */
    public Object call(String method, Object... params) throws IOException {
        return send(request(method, List.of(params)));
    }

    /** Sends a request made by {@link #request}; returns the decoded value. @throws ApiError on a XenAPI failure */
    Object send(byte[] request) throws IOException {
        if (!http.isOpen()) http = new RawHttpConnection(address, BUFFER); // the server may close an idle connection
        RawHttpConnection.Body body = RawHttpConnection.Body.keeping(1024);
        int status = http.exchange(request, body);
        if (status != 200) throw new IOException("HTTP " + status + ": " + body.tail());
        try {
            RpcResponse r = XmlRpcReader.RESPONSES.readResponse(body.bytes());
            if (!r.success()) throw r.toApiError();
            return r.contents();
        } catch (XmlRpcParseException e) {
            throw new IOException("unparsable answer: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        http.close();
    }
}
