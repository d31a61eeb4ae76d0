package org.xapijava.xenopsd;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.xmlrpc.XmlRpcParseException;
import org.xapijava.xenopsd.internal.HttpClientConnection;
import org.xapijava.xenopsd.internal.PooledUnixTransport;
import org.xapijava.xenopsd.internal.Rpc;
import org.xapijava.xenopsd.internal.Wire;
import org.xapijava.xenopsd.internal.Wire.Arg;
import org.xapijava.xenopsd.internal.XenopsTransport;

/**
 * A {@link Xenops} client speaking XML-RPC over HTTP/1.1 on xenopsd's Unix domain socket (default
 * {@code /var/lib/xcp/xenopsd}), as xapi does without the message switch ({@code xml_http_rpc} in
 * {@code ocaml/xapi-idl/lib/xcp_client.ml}; calls encoded by ocaml-rpc's {@code Idl} client, see
 * {@link Wire}).
 *
 * <p><b>Connections.</b> Kept alive and pooled (at most {@link #MAX_IDLE} idle). The real xenopsd answers one
 * request per connection and then closes it; a pooled connection found closed before any byte of the answer
 * arrived is therefore replaced and the request sent once more on a fresh connection (the server never read
 * it). Any other transport failure throws {@link XenopsUnavailableException}.
 *
 * <p><b>Time limits.</b> Connecting is bounded by the connect timeout, every call by the call timeout;
 * {@code UPDATES.get} with a poll timeout gets that timeout plus the call timeout, and without one waits for
 * ever (as xenopsd's own long poll does). An expired limit closes the connection and throws
 * {@link XenopsTimeoutException}.
 *
 * <p>Thread-safe; callers may be virtual threads (blocking channel I/O parks them, nothing pins a carrier).
 */
public final class XenopsClient implements Xenops, AutoCloseable {

    /** Idle connections kept for reuse; more concurrent callers open extra connections that are then closed. */
    public static final int MAX_IDLE = PooledUnixTransport.MAX_IDLE;

    /** xenopsd's socket on a host ({@code Xenops_interface.default_path}). */
    public static final Path DEFAULT_SOCKET = Path.of("/var/lib/xcp/xenopsd");

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** xenopsd answers every call at once (long work runs as a task), so a minute means it is wedged. */
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(60);

    private final Path socket;
    private final long callTimeoutNanos;
    private final XenopsTransport transport;
    private volatile boolean closed;

    public XenopsClient(Path socket) {
        this(socket, DEFAULT_CONNECT_TIMEOUT, DEFAULT_CALL_TIMEOUT);
    }

    public XenopsClient(Path socket, Duration connectTimeout, Duration callTimeout) {
        this(socket, new PooledUnixTransport(socket, connectTimeout), callTimeout);
    }

    /**
     * A client over another transport (the benchmarks compare transports with it); {@code transport} is closed
     * with this client.
     */
    public XenopsClient(Path socket, XenopsTransport transport, Duration callTimeout) {
        this.socket = Objects.requireNonNull(socket);
        this.transport = Objects.requireNonNull(transport);
        this.callTimeoutNanos = callTimeout.toNanos();
    }

    /**
     * A client of the xenopsd behind an HTTP URL (a destination host's xapi at {@code /services/xenops}): what a
     * migrating xenopsd uses.
     */
    public static XenopsClient overHttp(java.net.URI url, Duration callTimeout) {
        return overHttp(url, callTimeout, null);
    }

    /** As {@link #overHttp(java.net.URI, Duration)}, an {@code https} URL over {@code tls}. */
    public static XenopsClient overHttp(java.net.URI url, Duration callTimeout, javax.net.ssl.SSLContext tls) {
        return new XenopsClient(
                Path.of(url.getPath().isEmpty() ? "/" : url.getPath()),
                new org.xapijava.xenopsd.internal.HttpUrlTransport(url, DEFAULT_CONNECT_TIMEOUT, tls),
                callTimeout);
    }

    public Path socket() {
        return socket;
    }

    // ------------------------------------------------------------------------------------------- transport

    /**
     * Performs one call and returns the rpc value of its result.
     *
     * @param timeoutNanos the time limit, or a negative number for none
     */
    private Object call(String method, String dbg, long timeoutNanos, Arg... args) {
        if (closed) throw new XenopsUnavailableException("xenopsd client is closed", null);
        byte[] request = Wire.encodeCall(method, Objects.requireNonNull(dbg, "dbg"), List.of(args));
        HttpClientConnection.Response response = transport.exchange(method, request, timeoutNanos);
        if (response.status() != 200) {
            throw new XenopsProtocolException(
                    "xenopsd answered " + method + " with HTTP status " + response.status(), null);
        }
        RpcResponse r;
        try {
            r = Wire.decodeResponse(response.body());
        } catch (XmlRpcParseException e) {
            throw new XenopsProtocolException(
                    "xenopsd answered " + method + " with malformed XML-RPC: " + e.getMessage(), e);
        }
        if (!r.success()) throw XenopsError.fromRpc(r.contents());
        return r.contents();
    }

    /** Closes the pooled connections; later calls fail with {@link XenopsUnavailableException}. */
    @Override
    public void close() {
        closed = true;
        transport.close();
    }

    private Object call(String method, String dbg, Arg... args) {
        return call(method, dbg, callTimeoutNanos, args);
    }

    /** Decodes a result, turning a shape error into {@link XenopsProtocolException}. */
    private static <T> T decode(String method, Object v, Function<Object, T> f) {
        try {
            return f.apply(v);
        } catch (RuntimeException e) {
            throw new XenopsProtocolException("cannot decode the result of " + method + ": " + e.getMessage(), e);
        }
    }

    private String taskCall(String method, String dbg, Arg... args) {
        return decode(method, call(method, dbg, args), Rpc::string);
    }

    private void unitCall(String method, String dbg, Arg... args) {
        decode(method, call(method, dbg, args), v -> {
            Rpc.unit(v);
            return null;
        });
    }

    // ------------------------------------------------------------------------------------------- calls

    @Override
    public Query query(String dbg) {
        return decode("query", call("query", dbg, Arg.unit()), Query::fromRpc);
    }

    @Override
    public HostStat hostStat(String dbg) {
        return decode("HOST.stat", call("HOST.stat", dbg), HostStat::fromRpc);
    }

    @Override
    public long hostTotalMemoryMib(String dbg) {
        return decode("HOST.get_total_memory_mib", call("HOST.get_total_memory_mib", dbg), Rpc::int64);
    }

    @Override
    public String hostConsoleData(String dbg) {
        return decode("HOST.get_console_data", call("HOST.get_console_data", dbg), Rpc::string);
    }

    @Override
    public void hostSendDebugKeys(String dbg, String keys) {
        unitCall("HOST.send_debug_keys", dbg, Arg.of("debug_keys", keys));
    }

    @Override
    public String vmImportMetadata(String dbg, String metadataJson) {
        return taskCall("VM.import_metadata", dbg, Arg.of("metadata", metadataJson));
    }

    @Override
    public String vmImportMetadataAsync(String dbg, String metadataJson) {
        return taskCall("VM.import_metadata_async", dbg, Arg.of("metadata", metadataJson));
    }

    @Override
    public String vmExportMetadata(String dbg, String vmId) {
        return taskCall("VM.export_metadata", dbg, Arg.of("id", vmId));
    }

    @Override
    public String vmAdd(String dbg, Vm vm) {
        return taskCall("VM.add", dbg, Arg.of("vm", vm.toRpc()));
    }

    @Override
    public void vmRemove(String dbg, String vmId) {
        unitCall("VM.remove", dbg, Arg.of("id", vmId));
    }

    @Override
    public String vmStart(String dbg, String vmId, boolean force) {
        return taskCall("VM.start", dbg, Arg.of("id", vmId), Arg.of("paused", force));
    }

    @Override
    public String vmShutdown(String dbg, String vmId, Double delayOrNull) {
        return taskCall("VM.shutdown", dbg, Arg.of("id", vmId), Arg.opt("delay", delayOrNull));
    }

    @Override
    public String vmReboot(String dbg, String vmId, Double delayOrNull) {
        return taskCall("VM.reboot", dbg, Arg.of("id", vmId), Arg.opt("delay", delayOrNull));
    }

    @Override
    public String vmSuspend(String dbg, String vmId, Disk disk) {
        return taskCall("VM.suspend", dbg, Arg.of("id", vmId), Arg.of("suspend_vdi", disk.toRpc()));
    }

    @Override
    public String vmResume(String dbg, String vmId, Disk disk) {
        return taskCall("VM.resume", dbg, Arg.of("id", vmId), Arg.of("suspend_vdi", disk.toRpc()));
    }

    @Override
    public String vmMigrate(
            String dbg,
            String vmId,
            String url,
            boolean localhostMigration,
            java.util.Map<String, String> vdiMap,
            java.util.Map<String, Vif.Network> vifMap,
            boolean verifyDest) {
        java.util.Map<String, Object> vifs = new java.util.LinkedHashMap<>();
        vifMap.forEach((device, network) -> vifs.put(device, network.toRpc()));
        return taskCall(
                "VM.migrate",
                dbg,
                Arg.of("id", vmId),
                Arg.of("vdi_map", vdiMap),
                Arg.of("vif_map", vifs),
                Arg.of("vgpu_pci_map", java.util.Map.of()),
                Arg.of("url", url),
                Arg.of("compress", false),
                Arg.of("verify_dest", verifyDest),
                Arg.of("localhost_migration", localhostMigration));
    }

    @Override
    public void vmReceiveMemory(String dbg, String vmId, String image) {
        unitCall("VM.receive_memory", dbg, Arg.of("id", vmId), Arg.of("image", image));
    }

    @Override
    public void vmReceiveMemoryComplete(String dbg, String vmId, boolean unpause) {
        unitCall("VM.receive_memory_complete", dbg, Arg.of("id", vmId), Arg.of("unpause", unpause));
    }

    @Override
    public String vmPause(String dbg, String vmId) {
        return taskCall("VM.pause", dbg, Arg.of("id", vmId));
    }

    @Override
    public String vmUnpause(String dbg, String vmId) {
        return taskCall("VM.unpause", dbg, Arg.of("id", vmId));
    }

    @Override
    public String vmSetXsdata(String dbg, String vmId, Map<String, String> xsdata) {
        // a (string * string) list parameter travels as a Dict (ocaml-rpc's List (Tuple (String, _)))
        return taskCall("VM.set_xsdata", dbg, Arg.of("id", vmId), Arg.of("xsdata", Rpc.encodeStringMap(xsdata)));
    }

    @Override
    public String vmSetVcpus(String dbg, String vmId, int vcpus) {
        return taskCall("VM.set_vcpus", dbg, Arg.of("id", vmId), Arg.of("vcpus", (long) vcpus));
    }

    @Override
    public String vmSetShadowMultiplier(String dbg, String vmId, double multiplier) {
        return taskCall("VM.set_shadow_multiplier", dbg, Arg.of("id", vmId), Arg.of("multiplier", multiplier));
    }

    @Override
    public String vmSetMemoryDynamicRange(String dbg, String vmId, long min, long max) {
        return taskCall(
                "VM.set_memory_dynamic_range", dbg, Arg.of("id", vmId), Arg.of("minimum", min), Arg.of("maximum", max));
    }

    @Override
    public String vmRequestRdp(String dbg, String vmId, boolean enabled) {
        return taskCall("VM.request_rdp", dbg, Arg.of("id", vmId), Arg.of("enabled", enabled));
    }

    @Override
    public String vmRunScript(String dbg, String vmId, String script) {
        return taskCall("VM.run_script", dbg, Arg.of("id", vmId), Arg.of("script", script));
    }

    @Override
    public String vmS3suspend(String dbg, String vmId) {
        return taskCall("VM.s3suspend", dbg, Arg.of("id", vmId));
    }

    @Override
    public String vmS3resume(String dbg, String vmId) {
        return taskCall("VM.s3resume", dbg, Arg.of("id", vmId));
    }

    @Override
    public VmStat vmStat(String dbg, String vmId) {
        return decode("VM.stat", call("VM.stat", dbg, Arg.of("id", vmId)), VmStat::fromRpc);
    }

    @Override
    public boolean vmExists(String dbg, String vmId) {
        return decode("VM.exists", call("VM.exists", dbg, Arg.of("id", vmId)), Rpc::bool);
    }

    @Override
    public List<VmStat> vmList(String dbg) {
        return decode("VM.list", call("VM.list", dbg, Arg.unit()), v -> Rpc.list(v, VmStat::fromRpc));
    }

    @Override
    public DeviceId vbdAdd(String dbg, Vbd vbd) {
        return decode("VBD.add", call("VBD.add", dbg, Arg.of("vbd", vbd.toRpc())), DeviceId::fromRpc);
    }

    @Override
    public String vbdPlug(String dbg, DeviceId id) {
        return taskCall("VBD.plug", dbg, Arg.of("id", id.toRpc()));
    }

    @Override
    public String vbdUnplug(String dbg, DeviceId id, boolean force) {
        return taskCall("VBD.unplug", dbg, Arg.of("id", id.toRpc()), Arg.of("force", force));
    }

    @Override
    public String vbdEject(String dbg, DeviceId id) {
        return taskCall("VBD.eject", dbg, Arg.of("id", id.toRpc()));
    }

    @Override
    public String vbdInsert(String dbg, DeviceId id, Disk disk) {
        return taskCall("VBD.insert", dbg, Arg.of("id", id.toRpc()), Arg.of("disk", disk.toRpc()));
    }

    @Override
    public VbdStat vbdStat(String dbg, DeviceId id) {
        return decode("VBD.stat", call("VBD.stat", dbg, Arg.of("id", id.toRpc())), VbdStat::fromRpc);
    }

    @Override
    public List<VbdStat> vbdList(String dbg, String vmId) {
        return decode("VBD.list", call("VBD.list", dbg, Arg.of("id", vmId)), v -> Rpc.list(v, VbdStat::fromRpc));
    }

    @Override
    public void vbdRemove(String dbg, DeviceId id) {
        unitCall("VBD.remove", dbg, Arg.of("id", id.toRpc()));
    }

    @Override
    public DeviceId vifAdd(String dbg, Vif vif) {
        return decode("VIF.add", call("VIF.add", dbg, Arg.of("vif", vif.toRpc())), DeviceId::fromRpc);
    }

    @Override
    public String vifPlug(String dbg, DeviceId id) {
        return taskCall("VIF.plug", dbg, Arg.of("id", id.toRpc()));
    }

    @Override
    public String vifUnplug(String dbg, DeviceId id, boolean force) {
        return taskCall("VIF.unplug", dbg, Arg.of("id", id.toRpc()), Arg.of("force", force));
    }

    @Override
    public String vifMove(String dbg, DeviceId id, Vif.Network network) {
        return taskCall("VIF.move", dbg, Arg.of("id", id.toRpc()), Arg.of("network", network.toRpc()));
    }

    @Override
    public String vifSetLockingMode(String dbg, DeviceId id, Vif.LockingMode mode) {
        return taskCall("VIF.set_locking_mode", dbg, Arg.of("id", id.toRpc()), Arg.of("locking_mode", mode.toRpc()));
    }

    @Override
    public String vifSetIpv4Configuration(String dbg, DeviceId id, Vif.IpConfig config) {
        return taskCall(
                "VIF.set_ipv4_configuration",
                dbg,
                Arg.of("id", id.toRpc()),
                Arg.of("ipv4_configuration", config.toRpc()));
    }

    @Override
    public String vifSetIpv6Configuration(String dbg, DeviceId id, Vif.IpConfig config) {
        return taskCall(
                "VIF.set_ipv6_configuration",
                dbg,
                Arg.of("id", id.toRpc()),
                Arg.of("ipv6_configuration", config.toRpc()));
    }

    @Override
    public VifStat vifStat(String dbg, DeviceId id) {
        return decode("VIF.stat", call("VIF.stat", dbg, Arg.of("id", id.toRpc())), VifStat::fromRpc);
    }

    @Override
    public List<VifStat> vifList(String dbg, String vmId) {
        return decode("VIF.list", call("VIF.list", dbg, Arg.of("id", vmId)), v -> Rpc.list(v, VifStat::fromRpc));
    }

    @Override
    public void vifRemove(String dbg, DeviceId id) {
        unitCall("VIF.remove", dbg, Arg.of("id", id.toRpc()));
    }

    @Override
    public TaskInfo taskStat(String dbg, String taskId) {
        return decode("Task.stat", call("Task.stat", dbg, Arg.of("id", taskId)), TaskInfo::fromRpc);
    }

    @Override
    public void taskCancel(String dbg, String taskId) {
        unitCall("Task.cancel", dbg, Arg.of("id", taskId));
    }

    @Override
    public void taskDestroy(String dbg, String taskId) {
        unitCall("Task.destroy", dbg, Arg.of("id", taskId));
    }

    @Override
    public void taskDestroyOnFinish(String dbg, String taskId) {
        unitCall("Task.destroy_on_finish", dbg, Arg.of("id", taskId));
    }

    @Override
    public List<TaskInfo> taskList(String dbg) {
        return decode("Task.list", call("Task.list", dbg), v -> Rpc.list(v, TaskInfo::fromRpc));
    }

    @Override
    public Updates updatesGet(String dbg, Integer lastIdOrNull, Integer timeoutSecondsOrNull) {
        long limit = timeoutSecondsOrNull == null
                ? -1
                : Math.max(0, timeoutSecondsOrNull) * 1_000_000_000L + callTimeoutNanos;
        Object v = call(
                "UPDATES.get",
                dbg,
                limit,
                Arg.opt("last_id", lastIdOrNull == null ? null : (long) (int) lastIdOrNull),
                Arg.opt("timeout", timeoutSecondsOrNull == null ? null : (long) (int) timeoutSecondsOrNull));
        return decode("UPDATES.get", v, Updates::fromRpc);
    }

    @Override
    public int updatesLastId(String dbg) {
        return decode("UPDATES.last_id", call("UPDATES.last_id", dbg), Rpc::integer);
    }

    @Override
    public void updatesInjectBarrier(String dbg, String vmId, int id) {
        unitCall("UPDATES.inject_barrier", dbg, Arg.of("vm_id", vmId), Arg.of("id", (long) id));
    }

    @Override
    public void updatesRemoveBarrier(String dbg, int id) {
        unitCall("UPDATES.remove_barrier", dbg, Arg.of("id", (long) id));
    }

    @Override
    public void updatesRefreshVm(String dbg, String vmId) {
        unitCall("UPDATES.refresh_vm", dbg, Arg.of("id", vmId));
    }

    @Override
    public void debugTrigger(String dbg, String cmd, List<String> args) {
        unitCall("DEBUG.trigger", dbg, Arg.of("cmd", cmd), Arg.of("args", new ArrayList<Object>(args)));
    }

    @Override
    public void xenstoreWrite(String dbg, String vmId, String path, String value) {
        unitCall("SIM.xenstore_write", dbg, Arg.of("id", vmId), Arg.of("path", path), Arg.of("value", value));
    }

    @Override
    public String xenstoreRead(String dbg, String vmId, String path) {
        List<String> v = decode(
                "SIM.xenstore_read",
                call("SIM.xenstore_read", dbg, Arg.of("id", vmId), Arg.of("path", path)),
                x -> Rpc.list(x, Rpc::string));
        return v.isEmpty() ? null : v.get(0);
    }
}
