package org.xapijava.bench.storage;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.bench.lifecycle.XmlRpcConnection;
import org.xapijava.storage.smapiv1.Smapiv1Call;

/**
 * The storage benchmark's view of a launched host: a root session over XML-RPC, the host's local {@code file} SR
 * (FileSR) and a {@code dummy} SR made for the run (DummySR), each with a driver session for direct driver runs,
 * and the XenAPI calls the benchmark makes (VDI and VBD creation). Used from one thread.
 */
final class StorageFixture implements Closeable {
    /** Key of a session's other_config naming the SR its plugin may change (xapi's {@code SmSessions.SR_KEY}). */
    private static final String SM_SESSION_KEY = "_sm_session";

    /** An SR and how to run its driver directly. */
    record Sr(String ref, String uuid, Map<String, String> deviceConfig, Path driver, String session, String hostRef) {
        Smapiv1Call.Builder builder(String command, List<String> args) {
            Map<String, String> dc = new LinkedHashMap<>(deviceConfig);
            dc.put("SRmaster", "true");
            return Smapiv1Call.builder(hostRef, command, args)
                    .deviceConfig(dc)
                    .sr(ref, uuid)
                    .sessionRef(session);
        }

        Smapiv1Call call(String command) {
            return builder(command, List.of()).build();
        }
    }

    final InetSocketAddress address;
    final String password;
    final Path dataDir;
    final XmlRpcConnection c;
    final String session;
    final String hostRef;
    final Sr local;
    final Sr dummy;

    @SuppressWarnings("unchecked")
    StorageFixture(InetSocketAddress address, String password, Path dataDir) throws IOException {
        this.address = address;
        this.password = password;
        this.dataDir = dataDir;
        this.c = new XmlRpcConnection(address);
        this.session = login(c);
        this.hostRef = (String) ((List<?>) c.call("host.get_all", session)).get(0);
        String localRef = null;
        for (Map.Entry<String, Object> e : ((Map<String, Object>) c.call("SR.get_all_records", session)).entrySet()) {
            if ("file".equals(((Map<String, Object>) e.getValue()).get("type"))) localRef = e.getKey();
        }
        if (localRef == null) throw new IllegalStateException("no local file SR");
        this.local = sr(localRef, "FileSR");
        String dummyRef = (String) c.call(
                "SR.create", session, hostRef, Map.of(), "0", "bench dummy SR", "", "dummy", "", false, Map.of());
        this.dummy = sr(dummyRef, "DummySR");
    }

    String login(XmlRpcConnection conn) throws IOException {
        return (String) conn.call("session.login_with_password", "root", password, "1.0", "xapi-java storage bench");
    }

    private Sr sr(String ref, String driver) throws IOException {
        String uuid = (String) c.call("SR.get_uuid", session, ref);
        String pbd = (String) ((List<?>) c.call("SR.get_PBDs", session, ref)).get(0);
        @SuppressWarnings("unchecked")
        Map<String, String> dc = (Map<String, String>) c.call("PBD.get_device_config", session, pbd);
        // the driver's session: as xapi's __sm__backend sessions, scoped to this SR
        String s = login(c);
        c.call("session.add_to_other_config", s, s, SM_SESSION_KEY, ref);
        return new Sr(ref, uuid, dc, dataDir.resolve("sm").resolve(driver), s, hostRef);
    }

    Path xapiSocket() {
        return dataDir.resolve("xapi.sock");
    }

    /** The local SR's directory (its PBD's {@code location}). */
    Path localDir() {
        return Path.of(local.deviceConfig().get("location"));
    }

    String vdiRef(String uuid) throws IOException {
        return (String) c.call("VDI.get_by_uuid", session, uuid);
    }

    String vdiLocation(String ref) throws IOException {
        return (String) c.call("VDI.get_location", session, ref);
    }

    /** The record {@code VDI.create} takes: a user VDI of {@code size} bytes on {@code sr}. */
    static Map<String, Object> vdiRecord(String sr, long size, String name) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("name_label", name);
        r.put("name_description", "");
        r.put("SR", sr);
        r.put("virtual_size", Long.toString(size));
        r.put("type", "user");
        r.put("sharable", false);
        r.put("read_only", false);
        r.put("other_config", Map.of());
        r.put("xenstore_data", Map.of());
        r.put("sm_config", Map.of());
        r.put("tags", List.of());
        return r;
    }

    /** A VBD of {@code vm} on {@code vdi} at {@code userdevice}, read-write. */
    String createVbd(String vm, String vdi, String userdevice) throws IOException {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("VM", vm);
        r.put("VDI", vdi);
        r.put("userdevice", userdevice);
        r.put("bootable", userdevice.equals("0"));
        r.put("mode", "RW");
        r.put("type", "Disk");
        r.put("unpluggable", false);
        r.put("empty", false);
        r.put("other_config", Map.of());
        r.put("qos_algorithm_type", "");
        r.put("qos_algorithm_params", Map.of());
        return (String) c.call("VBD.create", session, r);
    }

    @Override
    public void close() throws IOException {
        c.close();
    }
}
