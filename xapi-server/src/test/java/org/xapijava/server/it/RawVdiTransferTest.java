package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VDI;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * {@code PUT /import_raw_vdi} and {@code GET /export_raw_vdi} (format raw) over real HTTP against a host's local
 * {@code file} SR, whose driver serves each transfer through a datapath of its own: data written plainly or in
 * Xapi's chunked framing reads back byte for byte over the whole virtual size; a VDI made by an import into an SR
 * ({@code sr_id}, Content-Length) is the task's result; the caller's {@code task_id} task is the transfer's; bad
 * requests get Xapi's answers and change nothing.
 */
class RawVdiTransferTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static Connection c;
    static String session;
    static SR sr;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final long MIB = 1 << 20;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        c = LifecycleSupport.login(host);
        session = c.getSessionReference();
        sr = Pool.getAll(c).iterator().next().getDefaultSR(c);
    }

    @AfterAll
    static void stop() throws Exception {
        host.close();
    }

    static VDI newVdi(long size) throws Exception {
        return VDI.create(c, LifecycleSupport.vdiRecord(sr, "transfer", size));
    }

    static HttpResponse<byte[]> get(String query) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(host.uri("/export_raw_vdi?" + query))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<byte[]> put(String query, byte[] body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(host.uri("/import_raw_vdi?" + query))
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static Task task(HttpResponse<?> r) {
        return Types.toTask(r.headers().firstValue("task-id").orElseThrow());
    }

    @Test
    void dataImportedPlainlyExportsBackWholeAndByteForByte() throws Exception {
        VDI vdi = newVdi(8 * MIB);
        byte[] data = random((int) (3 * MIB + 12345), 1);
        HttpResponse<byte[]> in = put("session_id=" + session + "&vdi=" + vdi.toWireString(), data);
        assertEquals(200, in.statusCode(), new String(in.body()));
        Task t = task(in);
        assertEquals(Types.TaskStatusType.SUCCESS, t.getStatus(c));
        assertEquals("<value>" + vdi.toWireString() + "</value>", t.getResult(c));

        // by uuid, format given in capitals as Xapi allows
        HttpResponse<byte[]> out = get("session_id=" + session + "&vdi=" + vdi.getUuid(c) + "&format=RAW");
        assertEquals(200, out.statusCode());
        assertEquals(8 * MIB, out.body().length, "the whole virtual size");
        assertArrayEquals(data, Arrays.copyOf(out.body(), data.length));
        assertTrue(allZero(Arrays.copyOfRange(out.body(), data.length, out.body().length)));
        assertEquals(
                "application/octet-stream",
                out.headers().firstValue("content-type").orElse(""));
        assertEquals(
                "attachment; filename=\"" + vdi.getUuid(c) + ".raw\"",
                out.headers().firstValue("content-disposition").orElse(""));
        assertEquals(Types.TaskStatusType.SUCCESS, task(out).getStatus(c));
        assertEquals(1.0, task(out).getProgress(c));
    }

    @Test
    void chunkedFramesLandAtTheirOffsetsAndTheCallersTaskIsTheTransfers() throws Exception {
        VDI vdi = newVdi(16 * MIB);
        byte[] first = random(4096, 2);
        byte[] second = random((int) MIB + 7, 3);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(frame(MIB, first));
        body.write(frame(9 * MIB, second));
        body.write(new byte[12]); // the end: offset 0, length 0
        Task mine = Task.create(c, "upload", "by the client");
        HttpResponse<byte[]> in = put(
                "session_id=" + session + "&vdi=" + vdi.toWireString() + "&chunked=true&task_id=" + mine.toWireString(),
                body.toByteArray());
        assertEquals(200, in.statusCode());
        assertEquals(mine, task(in));
        assertEquals(Types.TaskStatusType.SUCCESS, mine.getStatus(c));

        byte[] disk =
                get("session_id=" + session + "&vdi=" + vdi.toWireString()).body();
        assertEquals(16 * MIB, disk.length);
        assertArrayEquals(first, Arrays.copyOfRange(disk, (int) MIB, (int) MIB + first.length));
        assertArrayEquals(second, Arrays.copyOfRange(disk, (int) (9 * MIB), (int) (9 * MIB) + second.length));
        assertTrue(allZero(Arrays.copyOf(disk, (int) MIB)));
    }

    @Test
    void anImportIntoAnSrMakesTheVdiOfTheBodysSize() throws Exception {
        byte[] data = random((int) (2 * MIB), 4);
        int before = sr.getVDIs(c).size();
        HttpResponse<byte[]> in = put("session_id=" + session + "&sr_id=" + sr.toWireString(), data);
        assertEquals(200, in.statusCode());
        String result = task(in).getResult(c);
        VDI made = Types.toVDI(result.replace("<value>", "").replace("</value>", ""));
        assertEquals("Imported VDI", made.getNameLabel(c));
        assertEquals(2 * MIB, made.getVirtualSize(c));
        assertEquals(before + 1, sr.getVDIs(c).size());
        assertArrayEquals(
                data,
                get("session_id=" + session + "&vdi=" + made.toWireString()).body());
    }

    @Test
    void badRequestsGetXapisAnswersAndChangeNothing() throws Exception {
        VDI vdi = newVdi(MIB);
        String s = "session_id=" + session;
        // no credentials: 401 with the action's realm
        HttpResponse<byte[]> anonymous = get("vdi=" + vdi.toWireString());
        assertEquals(401, anonymous.statusCode());
        assertEquals(
                "Basic realm=\"get_export_raw_vdi\"",
                anonymous.headers().firstValue("www-authenticate").orElse(""));
        // an unknown format: 404, the task fails INTERNAL_ERROR
        HttpResponse<byte[]> unknown = get(s + "&vdi=" + vdi.toWireString() + "&format=floppy");
        assertEquals(404, unknown.statusCode());
        assertEquals(List.of("INTERNAL_ERROR", "Unknown format floppy"), errorOf(task(unknown)));
        // neither VDI nor SR: 400, the caller's task fails VDI_MISSING
        Task mine = Task.create(c, "upload", "");
        HttpResponse<byte[]> nowhere = put(s + "&task_id=" + mine.toWireString(), new byte[10]);
        assertEquals(400, nowhere.statusCode());
        assertEquals(List.of("VDI_MISSING"), errorOf(mine));
        // an unknown VDI: 500, the caller's task fails RBAC_PERMISSION_DENIED naming the error, as Xapi's
        Task other = Task.create(c, "download", "");
        HttpResponse<byte[]> missing = get(s + "&vdi=no-such-uuid&task_id=" + other.toWireString());
        assertEquals(500, missing.statusCode());
        assertEquals(
                List.of("RBAC_PERMISSION_DENIED", "http/get_export_raw_vdi", "UUID_INVALID: [ VDI; no-such-uuid ]"),
                errorOf(other));
        // more data than the VDI holds: VDI_IO_ERROR (after the 200: the connection is cut, the task tells)
        Task upload = Task.create(c, "upload", "");
        try {
            put(s + "&vdi=" + vdi.toWireString() + "&task_id=" + upload.toWireString(), random((int) (2 * MIB), 5));
        } catch (java.io.IOException cut) {
            // expected when the cut comes before the client has read the answer
        }
        assertEquals(Types.TaskStatusType.FAILURE, upload.getStatus(c));
        assertEquals(List.of("VDI_IO_ERROR", "Device I/O errors"), errorOf(upload));
        // a differencing tar export is not done: it fails loudly
        HttpResponse<byte[]> tar = get(s + "&vdi=" + vdi.toWireString() + "&format=tar&base=" + vdi.toWireString());
        assertEquals(500, tar.statusCode());
        assertEquals("NOT_IMPLEMENTED", errorOf(task(tar)).get(0));
        // no datapath left behind: the VDI can be destroyed
        vdi.destroy(c);
    }

    @Test
    void aVhdExportHoldsOnlyTheBlocksWithDataAndQemuReadsItBack() throws Exception {
        VDI vdi = newVdi(11 * MIB); // not a whole number of 2 MiB blocks
        byte[] a = random(4096, 6);
        byte[] b = random((int) MIB, 7);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(frame(MIB, a));
        body.write(frame(10 * MIB, b)); // the last, partial block
        body.write(new byte[12]);
        assertEquals(
                200,
                put("session_id=" + session + "&vdi=" + vdi.toWireString() + "&chunked", body.toByteArray())
                        .statusCode());
        HttpResponse<byte[]> out = get("session_id=" + session + "&vdi=" + vdi.toWireString() + "&format=vhd");
        assertEquals(200, out.statusCode());
        assertEquals("application/vhd", out.headers().firstValue("content-type").orElse(""));
        assertEquals(
                "attachment; filename=\"" + vdi.getUuid(c) + ".vhd\"",
                out.headers().firstValue("content-disposition").orElse(""));
        byte[] vhd = out.body();
        // footer copy, header, empty sector, a 512-byte BAT (6 blocks), two blocks of bitmap + 2 MiB, the footer
        assertEquals(2048 + 512 + 2 * (512 + 2 * MIB) + 512, vhd.length);
        assertEquals("conectix", new String(vhd, 0, 8, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals("caml", new String(vhd, 28, 4, java.nio.charset.StandardCharsets.US_ASCII));
        java.nio.ByteBuffer footer = java.nio.ByteBuffer.wrap(vhd);
        assertEquals(12 * MIB, footer.getLong(48), "current size rounded up to whole blocks");
        assertEquals(3, footer.getInt(60), "dynamic");
        assertArrayEquals(Arrays.copyOf(vhd, 512), Arrays.copyOfRange(vhd, vhd.length - 512, vhd.length));

        Path file = dir.resolve("export.vhd");
        java.nio.file.Files.write(file, vhd);
        Path raw = dir.resolve("export.raw");
        run(
                "qemu-img",
                "convert",
                "--image-opts",
                "driver=vpc,force_size_calc=current_size,file.filename=" + file,
                "-O",
                "raw",
                raw.toString());
        byte[] converted = java.nio.file.Files.readAllBytes(raw);
        byte[] expected =
                get("session_id=" + session + "&vdi=" + vdi.toWireString()).body();
        assertEquals(12 * MIB, converted.length);
        assertArrayEquals(expected, Arrays.copyOf(converted, expected.length));
    }

    @Test
    void aVhdMadeByQemuImportsAndAVhdExportImportsBack() throws Exception {
        byte[] data = random((int) (3 * MIB), 8);
        Arrays.fill(data, (int) MIB, (int) (2 * MIB), (byte) 0); // a hole
        Path raw = dir.resolve("source.raw");
        byte[] disk = Arrays.copyOf(data, (int) (8 * MIB));
        java.nio.file.Files.write(raw, disk);
        Path vhd = dir.resolve("source.vhd");
        run("qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o", "subformat=dynamic", raw.toString(), vhd.toString());
        VDI target = newVdi(8 * MIB);
        HttpResponse<byte[]> in = put(
                "session_id=" + session + "&vdi=" + target.toWireString() + "&format=vhd",
                java.nio.file.Files.readAllBytes(vhd));
        assertEquals(200, in.statusCode());
        assertEquals(Types.TaskStatusType.SUCCESS, task(in).getStatus(c), String.valueOf(errorOf(task(in))));
        assertArrayEquals(
                disk,
                get("session_id=" + session + "&vdi=" + target.toWireString()).body());

        // our own export, imported into a fresh VDI
        byte[] ours = get("session_id=" + session + "&vdi=" + target.toWireString() + "&format=vhd")
                .body();
        VDI copy = newVdi(8 * MIB);
        assertEquals(
                200,
                put("session_id=" + session + "&vdi=" + copy.toWireString() + "&format=VHD", ours)
                        .statusCode());
        assertArrayEquals(
                disk,
                get("session_id=" + session + "&vdi=" + copy.toWireString()).body());

        // not a VHD: VDI_IO_ERROR, as when vhd-tool cannot read it
        Task t = Task.create(c, "upload", "");
        try {
            put(
                    "session_id=" + session + "&vdi=" + copy.toWireString() + "&format=vhd&task_id=" + t.toWireString(),
                    random(4096, 9));
        } catch (java.io.IOException cut) {
            // the connection may be cut first
        }
        assertEquals(List.of("VDI_IO_ERROR", "Device I/O errors"), errorOf(t));
        // a VHD straight into an SR: Xapi's refusal (a short body: the answer comes before any of it is read)
        HttpResponse<byte[]> intoSr =
                put("session_id=" + session + "&sr_id=" + sr.toWireString() + "&format=vhd", Arrays.copyOf(ours, 512));
        assertEquals(400, intoSr.statusCode());
        assertEquals(
                List.of("INTERNAL_ERROR", "Importing a VHD directly into an SR not yet supported"),
                errorOf(task(intoSr)));
    }

    @Test
    void aQcow2ExportHoldsOnlyTheClustersWithDataAndQemuReadsItBack() throws Exception {
        VDI vdi = newVdi(11 * MIB + 4096); // not a whole number of clusters
        byte[] a = random(4096, 16);
        byte[] b = random((int) MIB, 17);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(frame(MIB, a));
        body.write(frame(10 * MIB + 4096, b)); // up to the disk's end
        body.write(new byte[12]);
        assertEquals(
                200,
                put("session_id=" + session + "&vdi=" + vdi.toWireString() + "&chunked", body.toByteArray())
                        .statusCode());
        HttpResponse<byte[]> out = get("session_id=" + session + "&vdi=" + vdi.toWireString() + "&format=qcow2");
        assertEquals(200, out.statusCode());
        assertEquals(
                "application/x-qemu-disk",
                out.headers().firstValue("content-type").orElse(""));
        assertEquals(
                "attachment; filename=\"" + vdi.getUuid(c) + ".qcow2\"",
                out.headers().firstValue("content-disposition").orElse(""));
        byte[] qcow = out.body();
        // header, refcount table, one refcount block, L1, one L2, then 1 + 17 data clusters of 64 KiB
        assertEquals((5 + 1 + 17) * 65536, qcow.length);
        Path file = dir.resolve("export.qcow2");
        java.nio.file.Files.write(file, qcow);
        run("qemu-img", "check", "-f", "qcow2", file.toString());
        Path raw = dir.resolve("export-qcow2.raw");
        run("qemu-img", "convert", "-f", "qcow2", "-O", "raw", file.toString(), raw.toString());
        byte[] expected =
                get("session_id=" + session + "&vdi=" + vdi.toWireString()).body();
        assertArrayEquals(expected, java.nio.file.Files.readAllBytes(raw));
        // and back in, into a fresh VDI
        VDI copy = newVdi(11 * MIB + 4096);
        HttpResponse<byte[]> in = put("session_id=" + session + "&vdi=" + copy.toWireString() + "&format=qcow2", qcow);
        assertEquals(200, in.statusCode());
        assertEquals(Types.TaskStatusType.SUCCESS, task(in).getStatus(c), String.valueOf(errorOf(task(in))));
        assertArrayEquals(
                expected,
                get("session_id=" + session + "&vdi=" + copy.toWireString()).body());
    }

    @Test
    void qcow2ImagesMadeByQemuImportAndOthersAreRefused() throws Exception {
        byte[] data = random((int) (3 * MIB), 18);
        Arrays.fill(data, (int) MIB, (int) (2 * MIB), (byte) 0); // a hole
        byte[] disk = Arrays.copyOf(data, (int) (8 * MIB));
        Path raw = dir.resolve("qsource.raw");
        java.nio.file.Files.write(raw, disk);
        for (String clusterSize : List.of("65536", "4096", "2097152")) {
            Path q = dir.resolve("qsource-" + clusterSize + ".qcow2");
            run(
                    "qemu-img",
                    "convert",
                    "-f",
                    "raw",
                    "-O",
                    "qcow2",
                    "-o",
                    "cluster_size=" + clusterSize,
                    raw.toString(),
                    q.toString());
            VDI target = newVdi(8 * MIB);
            HttpResponse<byte[]> in = put(
                    "session_id=" + session + "&vdi=" + target.toWireString() + "&format=qcow2",
                    java.nio.file.Files.readAllBytes(q));
            assertEquals(200, in.statusCode());
            assertEquals(Types.TaskStatusType.SUCCESS, task(in).getStatus(c), clusterSize + ": " + errorOf(task(in)));
            assertArrayEquals(
                    disk,
                    get("session_id=" + session + "&vdi=" + target.toWireString())
                            .body(),
                    clusterSize);
        }
        // compressed clusters: VDI_IO_ERROR, as when the stream tool cannot read them
        Path text = dir.resolve("qsource-text.raw");
        java.nio.file.Files.writeString(text, "compressible ".repeat(100_000));
        Path compressed = dir.resolve("qsource-c.qcow2");
        run("qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", text.toString(), compressed.toString());
        VDI target = newVdi(8 * MIB);
        Task t = Task.create(c, "upload", "");
        try {
            put(
                    "session_id=" + session + "&vdi=" + target.toWireString() + "&format=qcow2&task_id="
                            + t.toWireString(),
                    java.nio.file.Files.readAllBytes(compressed));
        } catch (java.io.IOException cut) {
            // the connection may be cut first
        }
        assertEquals(List.of("VDI_IO_ERROR", "Device I/O errors"), errorOf(t));
        // a QCOW2 straight into an SR: Xapi's refusal
        HttpResponse<byte[]> intoSr =
                put("session_id=" + session + "&sr_id=" + sr.toWireString() + "&format=qcow2", new byte[512]);
        assertEquals(400, intoSr.statusCode());
        assertEquals(
                List.of("INTERNAL_ERROR", "Importing a QCOW2 directly into an SR not yet supported"),
                errorOf(task(intoSr)));
    }

    @Test
    void aDeltaAgainstASnapshotHoldsTheChangedBlocksAndRebuildsTheDiskOnAClone() throws Exception {
        VDI vdi = newVdi(8 * MIB);
        byte[] zero = random((int) MIB, 10);
        byte[] two = random((int) MIB, 11);
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        first.write(frame(0, zero));
        first.write(frame(4 * MIB, two));
        first.write(new byte[12]);
        String s = "session_id=" + session;
        assertEquals(
                200,
                put(s + "&vdi=" + vdi.toWireString() + "&chunked", first.toByteArray())
                        .statusCode());
        VDI base = vdi.snapshot(c, new java.util.HashMap<>());
        // block 0 rewritten with the same data, block 2 changed, block 3 new
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        second.write(frame(0, zero));
        second.write(frame(4 * MIB + 100, random(5000, 12)));
        second.write(frame(6 * MIB, random(4096, 13)));
        second.write(new byte[12]);
        assertEquals(
                200,
                put(s + "&vdi=" + vdi.toWireString() + "&chunked", second.toByteArray())
                        .statusCode());

        HttpResponse<byte[]> delta = get(s + "&vdi=" + vdi.toWireString() + "&format=vhd&base=" + base.getUuid(c));
        assertEquals(200, delta.statusCode());
        byte[] d = delta.body();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(d);
        assertEquals(4, b.getInt(60), "differencing");
        assertEquals(2048 + 512 + 2 * (512 + 2 * MIB) + 512, d.length, "blocks 2 and 3 only");
        assertEquals(
                java.util.UUID.fromString(base.getUuid(c)),
                new java.util.UUID(b.getLong(512 + 40), b.getLong(512 + 48)),
                "the parent's unique id");
        assertEquals(-1, b.getInt(2048), "block 0 is the base's");
        assertEquals(-1, b.getInt(2048 + 4), "block 1 is the base's");

        VDI rebuilt = base.createClone(c, new java.util.HashMap<>());
        assertEquals(
                200,
                put(s + "&vdi=" + rebuilt.toWireString() + "&format=vhd", d).statusCode());
        assertArrayEquals(
                get(s + "&vdi=" + vdi.toWireString()).body(),
                get(s + "&vdi=" + rebuilt.toWireString()).body());

        // the same as qcow2: the two clusters that differ (the 5000 bytes and the 4096), onto a clone
        HttpResponse<byte[]> q = get(s + "&vdi=" + vdi.toWireString() + "&format=qcow2&base=" + base.getUuid(c));
        assertEquals(200, q.statusCode());
        assertEquals((5 + 2) * 65536, q.body().length);
        VDI again = base.createClone(c, new java.util.HashMap<>());
        assertEquals(
                200,
                put(s + "&vdi=" + again.toWireString() + "&format=qcow2", q.body())
                        .statusCode());
        assertArrayEquals(
                get(s + "&vdi=" + vdi.toWireString()).body(),
                get(s + "&vdi=" + again.toWireString()).body());
    }

    @Test
    void aDiskInXvaChunkFormGoesOutAndBackIn() throws Exception {
        VDI vdi = newVdi(3 * MIB + 4096);
        byte[] data = random((int) MIB, 14);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(frame(2 * MIB, data));
        body.write(new byte[12]);
        String s = "session_id=" + session;
        assertEquals(
                200,
                put(s + "&vdi=" + vdi.toWireString() + "&chunked", body.toByteArray())
                        .statusCode());
        HttpResponse<byte[]> tar = get(s + "&vdi=" + vdi.toWireString() + "&format=tar");
        assertEquals(200, tar.statusCode());
        assertEquals(
                "application/x-tar", tar.headers().firstValue("content-type").orElse(""));
        // chunks 0 (first), 2 (data) and 3 (last, 4096 bytes), each with its .xxhash, then the end
        int chunk = 512 + (int) MIB;
        int sum = 512 + 512;
        assertEquals(2 * (chunk + sum) + (512 + 4096 + sum) + 1024, tar.body().length);
        VDI copy = newVdi(3 * MIB + 4096);
        HttpResponse<byte[]> in = put(s + "&vdi=" + copy.toWireString() + "&format=tar", tar.body());
        assertEquals(200, in.statusCode());
        assertEquals(Types.TaskStatusType.SUCCESS, task(in).getStatus(c));
        assertArrayEquals(
                get(s + "&vdi=" + vdi.toWireString()).body(),
                get(s + "&vdi=" + copy.toWireString()).body());
    }

    @Test
    void theDatabaseDumpIsTheWholeDatabaseInStateDbForm() throws Exception {
        VDI marker = newVdi(MIB);
        Task mine = Task.create(c, "dump", "");
        HttpResponse<byte[]> dump = HTTP.send(
                HttpRequest.newBuilder(
                                host.uri("/pool/xmldbdump?session_id=" + session + "&task_id=" + mine.toWireString()))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, dump.statusCode());
        assertEquals(Types.TaskStatusType.SUCCESS, mine.getStatus(c));
        var db = org.xapijava.db.persist.StateDbReader.read(new java.io.ByteArrayInputStream(dump.body()), "dump");
        assertTrue(
                db.tables().get("VDI").stream().anyMatch(r -> r.ref().equals(marker.toWireString())),
                "the dump holds the last VDI made");
        assertEquals(VDI.getAll(c).size(), db.tables().get("VDI").size(), "every VDI, as the database has them");
        HttpResponse<byte[]> anonymous = HTTP.send(
                HttpRequest.newBuilder(host.uri("/pool/xmldbdump")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(401, anonymous.statusCode());
        marker.destroy(c);
    }

    static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    }

    static List<String> errorOf(Task t) throws Exception {
        return List.copyOf(t.getErrorInfo(c));
    }

    static byte[] frame(long offset, byte[] data) {
        byte[] h = java.nio.ByteBuffer.allocate(12)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(offset)
                .putInt(data.length)
                .array();
        byte[] out = Arrays.copyOf(h, 12 + data.length);
        System.arraycopy(data, 0, out, 12, data.length);
        return out;
    }

    static boolean allZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }
}
