package org.xapijava.xenopsd.sim;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.model.xmlrpc.XmlRpcParseException;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;
import org.xapijava.xenopsd.XenopsError;
import org.xapijava.xenopsd.internal.HttpClientConnection;
import org.xapijava.xenopsd.internal.PooledUnixTransport;

/**
 * The calls xenopsd makes to xapi's SMAPIv2 storage service ({@code ocaml/xenopsd/lib/storage.ml}), as its
 * {@code Storage_client} makes them without the message switch: XML-RPC {@code POST}s on xapi's storage socket,
 * the named parameters in one struct. A storage error comes back as xenopsd turns it into its own
 * ({@code transform_exception}): {@code Backend_error (code, params)} (and {@code Backend_error_with_backtrace}, its
 * backtrace dropped) as {@code Storage_backend_error (code, params)}; any other storage error, or a storage service
 * that cannot be reached, as {@code Internal_error} with its printing. Thread-safe.
 */
final class StorageClient implements AutoCloseable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final long CALL_TIMEOUT_NANOS = Duration.ofMinutes(5).toNanos();

    private final Path socket;
    private final PooledUnixTransport transport;

    StorageClient(Path socket) {
        this.socket = socket;
        this.transport = new PooledUnixTransport(socket, CONNECT_TIMEOUT);
    }

    Path socket() {
        return socket;
    }

    /** {@code VDI.attach3}: the backend, xcp-idl's {@code {implementations: [...]}}. */
    Object attach3(String dbg, String dp, String sr, String vdi, String vm, boolean readWrite) {
        Map<String, Object> a = args(dbg);
        a.put("dp", dp);
        a.put("sr", sr);
        a.put("vdi", vdi);
        a.put("vm", vm);
        a.put("read_write", readWrite);
        return call("VDI.attach3", a);
    }

    /** {@code VDI.activate3}. */
    void activate3(String dbg, String dp, String sr, String vdi, String vm) {
        Map<String, Object> a = args(dbg);
        a.put("dp", dp);
        a.put("sr", sr);
        a.put("vdi", vdi);
        a.put("vm", vm);
        call("VDI.activate3", a);
    }

    /** {@code VDI.epoch_begin}. */
    void epochBegin(String dbg, String sr, String vdi, String vm, boolean persistent) {
        Map<String, Object> a = args(dbg);
        a.put("sr", sr);
        a.put("vdi", vdi);
        a.put("vm", vm);
        a.put("persistent", persistent);
        call("VDI.epoch_begin", a);
    }

    /** {@code VDI.epoch_end}. */
    void epochEnd(String dbg, String sr, String vdi, String vm) {
        Map<String, Object> a = args(dbg);
        a.put("sr", sr);
        a.put("vdi", vdi);
        a.put("vm", vm);
        call("VDI.epoch_end", a);
    }

    /** {@code DP.destroy dp allow_leak}. */
    void dpDestroy(String dbg, String dp, boolean allowLeak) {
        Map<String, Object> a = args(dbg);
        a.put("dp", dp);
        a.put("allow_leak", allowLeak);
        call("DP.destroy", a);
    }

    private static Map<String, Object> args(String dbg) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("dbg", dbg);
        return a;
    }

    private Object call(String method, Map<String, Object> args) {
        byte[] request = XmlRpcWriter.call(method, List.of(args));
        HttpClientConnection.Response r;
        try {
            r = transport.exchange(method, request, CALL_TIMEOUT_NANOS);
        } catch (RuntimeException e) {
            throw XenopsError.internalError("Storage service unreachable at " + socket + ": " + e.getMessage());
        }
        if (r.status() != 200) {
            throw XenopsError.internalError("Storage service answered " + method + " with HTTP " + r.status());
        }
        RpcResponse resp;
        try {
            resp = XmlRpcReader.RESPONSES.readResponse(r.body());
        } catch (XmlRpcParseException e) {
            throw XenopsError.internalError("Xmlrpc.Parse_error(" + e.getMessage() + ")");
        }
        if (resp.success()) return resp.contents();
        throw transform(resp.contents());
    }

    /** xenopsd's {@code transform_exception} of a storage error value. */
    static XenopsError transform(Object error) {
        if (error instanceof List<?> l && l.size() == 2 && l.get(1) instanceof List<?> args && args.size() == 2) {
            Object name = l.get(0);
            if (("Backend_error".equals(name) || "Backend_error_with_backtrace".equals(name))
                    && args.get(0) instanceof String code
                    && args.get(1) instanceof List<?> ps) {
                List<String> params = ps.stream()
                        .map(p -> p instanceof String s ? s : RpcValues.debugString(p))
                        .toList();
                if ("Backend_error_with_backtrace".equals(name))
                    params = params.isEmpty() ? params : params.subList(1, params.size());
                return XenopsError.storageBackendError(code, params);
            }
        }
        // Printexc.to_string of Storage_interface.Storage_error, with its registered printer
        return XenopsError.internalError("Storage_error (" + RpcValues.debugString(error) + ")");
    }

    @Override
    public void close() {
        transport.close();
    }
}
