package org.xapijava.server.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Session;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VDI;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * Exports read directly from the local {@code file} SR's qcow2 chain ({@link ExportDisk}, {@link Qcow2Chain}) over
 * real HTTP with the Citrix SDK: the same bytes as through a datapath (the VDI attached read-write elsewhere on the
 * host, which makes the export use one) for a snapshot's chain with sparse regions, in every format and as an XVA; a
 * VDI attached read-write is read through the datapath; while a direct export runs, a read-write attach (an import
 * into the VDI), a resize and a destroy are refused as they are while a datapath holds the VDI, and work again after;
 * so is the SR's unplug.
 */
class DirectExportTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static Connection c;
    static String session;
    static SR sr;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final int MIB = 1 << 20;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        c = new Connection(new URL("http://127.0.0.1:" + host.port() + "/"));
        Session.loginWithPassword(c, "root", host.password(), "1.0", "test");
        session = c.getSessionReference();
        sr = Pool.getAll(c).iterator().next().getDefaultSR(c);
    }

    @AfterAll
    static void stop() throws Exception {
        host.close();
    }

    static VDI newVdi(long size) throws Exception {
        VDI.Record r = new VDI.Record();
        r.nameLabel = "direct";
        r.nameDescription = "";
        r.SR = sr;
        r.virtualSize = size;
        r.type = Types.VdiType.USER;
        r.sharable = false;
        r.readOnly = false;
        r.otherConfig = new HashMap<>();
        r.xenstoreData = new HashMap<>();
        r.smConfig = new HashMap<>();
        r.tags = new java.util.LinkedHashSet<>();
        return VDI.create(c, r);
    }

    /** Writes {@code data} at {@code offset} into {@code vdi} and into its model {@code disk} (Xapi's chunked import). */
    static void write(VDI vdi, byte[] disk, long offset, byte[] data) throws Exception {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(ChunkedRaw.header(offset, data.length));
        body.write(data);
        body.write(ChunkedRaw.header(0, 0));
        HttpResponse<byte[]> r = HTTP.send(
                HttpRequest.newBuilder(host.uri(
                                "/import_raw_vdi?session_id=" + session + "&chunked=true&vdi=" + vdi.toWireString()))
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode(), new String(r.body()));
        System.arraycopy(data, 0, disk, (int) offset, data.length);
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static HttpResponse<byte[]> get(String path, String query) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(host.uri(path + "?session_id=" + session + "&" + query))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    static byte[] export(VDI vdi, String format) throws Exception {
        HttpResponse<byte[]> r = get("/export_raw_vdi", "vdi=" + vdi.toWireString() + "&format=" + format);
        assertEquals(200, r.statusCode(), new String(r.body()));
        return r.body();
    }

    /** {@code body} run with the VDI attached read-write on this host by a datapath of the test's. */
    static <T> T attachedReadWrite(VDI vdi, java.util.concurrent.Callable<T> body) throws Exception {
        String dp = "test/rw/" + vdi.toWireString();
        host.server.storageBackends().attach(vdi.toWireString(), true, dp);
        try {
            return body.call();
        } finally {
            host.server.storageBackends().destroyDatapath(dp);
        }
    }

    @Test
    void aSnapshotChainWithSparseRegionsExportsTheSameBytesDirectlyAndThroughADatapath() throws Exception {
        long size = 24L * MIB;
        VDI vdi = newVdi(size);
        byte[] disk = new byte[(int) size];
        write(vdi, disk, 0, random(MIB + 4096, 1));
        write(vdi, disk, 9L * MIB + 512, random(2 * MIB, 2));
        byte[] atSnapshot = disk.clone();
        VDI snapshot = vdi.snapshot(c, Map.of());
        write(vdi, disk, 4096, random(8192, 3)); // over the base's data
        write(vdi, disk, 20L * MIB, random(MIB, 4)); // where the base has none
        write(vdi, disk, size - 1000, random(1000, 5)); // the last, partial cluster
        String location = vdi.getLocation(c);
        Path leaf = Path.of(sr.getPBDs(c).iterator().next().getDeviceConfig(c).get("location"))
                .resolve(location + ".qcow2");
        try (Qcow2Chain chain = Qcow2Chain.open(leaf)) {
            assertEquals(2, chain.depth(), "the VDI's leaf over the snapshot's frozen node");
        }

        long direct = ExportDisk.DIRECT.sum();
        byte[] raw = export(vdi, "raw");
        assertEquals(direct + 1, ExportDisk.DIRECT.sum(), "read directly");
        assertEquals(-1, Arrays.mismatch(disk, raw));
        assertArrayEquals(atSnapshot, export(snapshot, "raw"));
        byte[] vhd = export(vdi, "vhd");
        byte[] tar = export(vdi, "tar");
        byte[] qcow = export(vdi, "qcow2");
        assertEquals(direct + 5, ExportDisk.DIRECT.sum());

        long datapath = ExportDisk.DATAPATH.sum();
        attachedReadWrite(vdi, () -> {
            assertEquals(-1, Arrays.mismatch(raw, export(vdi, "raw")), "raw through the datapath");
            assertEquals(
                    -1, Arrays.mismatch(vhdSansId(vhd), vhdSansId(export(vdi, "vhd"))), "vhd through the datapath");
            assertEquals(-1, Arrays.mismatch(tar, export(vdi, "tar")), "tar through the datapath");
            assertEquals(-1, Arrays.mismatch(qcow, export(vdi, "qcow2")), "qcow2 through the datapath");
            return null;
        });
        assertEquals(datapath + 4, ExportDisk.DATAPATH.sum(), "a VDI attached read-write is read through a datapath");
        assertEquals(direct + 5, ExportDisk.DIRECT.sum());
    }

    @Test
    void aVmExportReadsItsDiskDirectlyAndGivesTheSameArchive() throws Exception {
        VDI vdi = newVdi(8L * MIB);
        byte[] disk = new byte[8 * MIB];
        write(vdi, disk, 3L * MIB, random(MIB + 7, 6));
        var vm = com.xensource
                .xenapi
                .VM
                .getByNameLabel(c, "Other install media")
                .iterator()
                .next()
                .createClone(c, "direct export");
        vm.setIsATemplate(c, false);
        vdi.snapshot(c, Map.of()).destroy(c); // a chain of two nodes until the GC coalesces it
        var vbd = new com.xensource.xenapi.VBD.Record();
        vbd.VM = vm;
        vbd.VDI = vdi;
        vbd.userdevice = "0";
        vbd.bootable = true;
        vbd.mode = Types.VbdMode.RW;
        vbd.type = Types.VbdType.DISK;
        vbd.unpluggable = false;
        vbd.empty = false;
        vbd.otherConfig = new HashMap<>();
        vbd.qosAlgorithmType = "";
        vbd.qosAlgorithmParams = new HashMap<>();
        com.xensource.xenapi.VBD.create(c, vbd);
        long direct = ExportDisk.DIRECT.sum();
        HttpResponse<byte[]> a = get("/export", "ref=" + vm.toWireString());
        assertEquals(200, a.statusCode());
        assertEquals(direct + 1, ExportDisk.DIRECT.sum());
        HttpResponse<byte[]> b = attachedReadWrite(vdi, () -> get("/export", "ref=" + vm.toWireString()));
        assertEquals(200, b.statusCode());
        assertEquals(direct + 1, ExportDisk.DIRECT.sum(), "the second through a datapath");
        byte[] x = a.body();
        byte[] y = b.body();
        assertEquals(-1, Arrays.mismatch(disksOf(x), disksOf(y)));
        assertTrue(disksOf(x).length > MIB, "the chunks holding data are there (the others are left out)");
    }

    /** A VHD with its footers' time stamp, checksum and unique id (random for each export) zeroed. */
    static byte[] vhdSansId(byte[] vhd) {
        byte[] v = vhd.clone();
        for (int footer : new int[] {0, v.length - 512}) {
            Arrays.fill(v, footer + 24, footer + 28, (byte) 0);
            Arrays.fill(v, footer + 64, footer + 84, (byte) 0);
        }
        return v;
    }

    /**
     * The archive's disk members: ova.xml left out (it carries the VDI's {@code sm_config}, whose activation tag the
     * read-write attach adds), every tar header's mtime field (and so its checksum) zeroed.
     */
    static byte[] disksOf(byte[] tar) {
        long ovaSize = Long.parseLong(new String(tar, 124, 11).trim(), 8);
        byte[] t = Arrays.copyOfRange(tar, 512 + (int) ((ovaSize + 511) / 512 * 512), tar.length);
        for (int at = 0; at + 512 <= t.length; ) {
            boolean zero = true;
            for (int i = at; i < at + 512 && zero; i++) zero = t[i] == 0;
            if (zero) break;
            long size = Long.parseLong(new String(t, at + 124, 11).trim(), 8);
            Arrays.fill(t, at + 136, at + 136 + 12, (byte) 0);
            Arrays.fill(t, at + 148, at + 148 + 8, (byte) 0);
            at += 512 + (int) ((size + 511) / 512 * 512);
        }
        return t;
    }

    @Test
    void whileADirectExportRunsAReadWriteAttachResizeAndDestroyAreRefused() throws Exception {
        long size = 64L * MIB;
        VDI vdi = newVdi(size);
        byte[] disk = new byte[(int) size];
        write(vdi, disk, 0, random(MIB, 7));
        write(vdi, disk, 40L * MIB, random(3 * MIB, 8));
        long direct = ExportDisk.DIRECT.sum();
        HttpResponse<InputStream> r = HTTP.send(
                HttpRequest.newBuilder(host.uri("/export_raw_vdi?session_id=" + session + "&vdi=" + vdi.toWireString()))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        byte[] got;
        try (InputStream in = r.body()) {
            byte[] first = in.readNBytes(MIB); // the export is under way, the rest waits for the reader
            assertEquals(direct + 1, ExportDisk.DIRECT.sum(), "read directly");

            Task t = Task.create(c, "attach", "");
            HttpResponse<byte[]> attach = HTTP.send(
                    HttpRequest.newBuilder(host.uri("/import_raw_vdi?session_id=" + session + "&task_id="
                                    + t.toWireString() + "&vdi=" + vdi.toWireString()))
                            .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[4096]))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertNotEquals(200, attach.statusCode(), "the read-write attach refused");
            String error = t.getErrorInfo(c).toString(); // the SDK gives a set: its order is not kept
            assertTrue(
                    error.contains("INTERNAL_ERROR")
                            && error.contains("Illegal transition from activated RO by activated RW"),
                    error);

            org.junit.jupiter.api.Assertions.assertThrows(Types.VdiInUse.class, () -> vdi.resize(c, size * 2));
            org.junit.jupiter.api.Assertions.assertThrows(Types.VdiInUse.class, () -> vdi.destroy(c));
            var pbd = sr.getPBDs(c).iterator().next();
            org.junit.jupiter.api.Assertions.assertThrows(Types.VdiInUse.class, () -> pbd.unplug(c));
            assertTrue(pbd.getCurrentlyAttached(c));

            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.write(first);
            in.transferTo(all);
            got = all.toByteArray();
        }
        assertEquals(-1, Arrays.mismatch(disk, got), "the bytes as they were");
        // the hold went with the export
        write(vdi, disk, 5L * MIB, random(4096, 9));
        assertEquals(-1, Arrays.mismatch(disk, export(vdi, "raw")));
        vdi.destroy(c);
    }
}
