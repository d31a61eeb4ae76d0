package org.xapijava.server.it;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;
import org.xapijava.server.RawHttp;

/** Calls on xapi's storage socket as xenopsd makes them: one HTTP POST of XML-RPC per connection, raw. */
final class StorageSocketCalls {
    private final Path socket;

    StorageSocketCalls(Path socket) {
        this.socket = socket;
    }

    /** The whole HTTP exchange for {@code request} (raw bytes, with the head): status line to last body byte. */
    String exchange(String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(java.nio.ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            InputStream in = Channels.newInputStream(ch);
            String h = RawHttp.head(in);
            return h + RawHttp.body(in, h);
        }
    }

    /** POSTs {@code xml} and returns the response body. */
    String post(String xml) throws IOException {
        byte[] b = xml.getBytes(StandardCharsets.UTF_8);
        String r = exchange("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + b.length + "\r\n\r\n" + xml);
        if (!r.startsWith("HTTP/1.1 200")) throw new IOException("not 200: " + r);
        return r.substring(r.indexOf("\r\n\r\n") + 4);
    }

    /** Calls {@code method} with named arguments {@code kv} (name, value, ...), {@code dbg} added first. */
    RpcResponse call(String method, Object... kv) throws Exception {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("dbg", "test");
        for (int i = 0; i < kv.length; i += 2) args.put((String) kv[i], kv[i + 1]);
        String xml = new String(XmlRpcWriter.call(method, List.of(args)), StandardCharsets.UTF_8);
        return XmlRpcReader.RESPONSES.readResponse(post(xml).getBytes(StandardCharsets.UTF_8));
    }

    /** The value of a successful call; fails on an error. */
    Object ok(String method, Object... kv) throws Exception {
        RpcResponse r = call(method, kv);
        if (!r.success()) throw new AssertionError(method + " failed: " + r.contents());
        return r.contents();
    }

    /** The error value of a failed call; fails on success. */
    Object err(String method, Object... kv) throws Exception {
        RpcResponse r = call(method, kv);
        if (r.success()) throw new AssertionError(method + " succeeded: " + r.contents());
        return r.contents();
    }

    /** {@code DP.stat_vdi}'s {@code dps}: datapath → state. */
    @SuppressWarnings("unchecked")
    Map<String, Object> dps(String srUuid, String location) throws Exception {
        Map<String, Object> s = (Map<String, Object>) ok("DP.stat_vdi", "sr", srUuid, "vdi", location, "unit", null);
        return (Map<String, Object>) s.get("dps");
    }
}
