package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Blob;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Network;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.VM;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.Datamodel;
import org.xapijava.model.rbac.Rbac;
import org.xapijava.server.TestHost;

/**
 * Blobs through the Citrix SDK and plain HTTP: {@code create_new_blob} of every owner and {@code blob.create} with
 * Xapi's fields, data PUT and read back on {@code /blob} (by ref or uuid; public blobs without credentials; Xapi's
 * 400, 401, 403 and 404 answers), {@code blob.destroy} and {@code VM.destroy} taking the data file with the row, and
 * every refusal (missing owner, name taken, no Content-Length, a blob over the size limit, a body cut short) changing
 * nothing.
 */
class BlobSdkTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private static RawConnection raw(TestHost host) throws Exception {
        return new RawConnection(LifecycleSupport.url(host));
    }

    private static HttpResponse<byte[]> get(TestHost host, String query) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(host.uri("/blob?" + query)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpResponse<byte[]> put(TestHost host, String query, byte[] body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(host.uri("/blob?" + query))
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    private Path file(Blob b, Connection c) throws Exception {
        return dir.resolve("blob-files").resolve(b.getUuid(c));
    }

    @Test
    void everyOwnerGetsBlobsWhoseDataIsPutAndReadOverHttp() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            String s = "session_id=" + c.getSessionReference();
            VM vm = LifecycleSupport.newVm(host, c, "with blobs");

            // VM.create_new_blob with the SDK's default (not public) and an empty MIME type
            Blob notes = vm.createNewBlob(c, "notes", "");
            Blob.Record r = notes.getRecord(c);
            assertEquals("application/octet-stream", r.mimeType);
            assertEquals(0L, r.size);
            assertEquals(false, r._public);
            assertEquals(new Date(0), r.lastUpdated);
            assertEquals("", r.nameLabel);
            assertEquals("", r.nameDescription);
            assertEquals(Map.of("notes", notes), vm.getBlobs(c));
            assertFalse(Files.exists(file(notes, c)), "no data before a PUT");

            // every other owner
            Network net = Network.getAll(c).iterator().next();
            Host h = Host.getAll(c).iterator().next();
            Pool pool = Pool.getAll(c).iterator().next();
            SR sr = SR.getAll(c).iterator().next();
            Blob nb = net.createNewBlob(c, "n", "text/plain", true);
            Blob hb = h.createNewBlob(c, "h", "text/plain", false);
            Blob pb = pool.createNewBlob(c, "p", "image/png", true);
            Blob sb = sr.createNewBlob(c, "s", "", false);
            assertEquals(Map.of("n", nb), net.getBlobs(c));
            assertEquals(Map.of("h", hb), h.getBlobs(c));
            assertEquals(Map.of("p", pb), pool.getBlobs(c));
            assertEquals(Map.of("s", sb), sr.getBlobs(c));
            assertEquals(true, nb.getPublic(c));
            assertEquals("image/png", pb.getMimeType(c));
            Blob loose = Blob.create(c, "text/csv", false);
            assertEquals("text/csv", loose.getMimeType(c));

            // GET before any PUT: 404 with no body
            HttpResponse<byte[]> none = get(host, s + "&ref=" + notes.toWireString());
            assertEquals(404, none.statusCode());
            assertEquals(0, none.body().length);

            // PUT: 200 with CORS, the data in the blob directory, size and last_updated set
            byte[] data = "some binary\u0000data".getBytes(StandardCharsets.UTF_8);
            long before = System.currentTimeMillis() / 1000 * 1000;
            HttpResponse<byte[]> p = put(host, s + "&ref=" + notes.toWireString(), data);
            assertEquals(200, p.statusCode());
            assertEquals(
                    "*", p.headers().firstValue("access-control-allow-origin").orElse(null));
            assertArrayEquals(data, Files.readAllBytes(file(notes, c)));
            assertEquals((long) data.length, notes.getSize(c));
            assertTrue(notes.getLastUpdated(c).getTime() >= before, "last_updated is the PUT's time");

            // GET by ref and by uuid: the data with the blob's MIME type
            HttpResponse<byte[]> g = get(host, s + "&ref=" + notes.toWireString());
            assertEquals(200, g.statusCode());
            assertArrayEquals(data, g.body());
            assertEquals(
                    "application/octet-stream",
                    g.headers().firstValue("content-type").orElse(null));
            assertArrayEquals(data, get(host, s + "&uuid=" + notes.getUuid(c)).body());

            // a second PUT replaces the data
            byte[] shorter = "abc".getBytes(StandardCharsets.UTF_8);
            assertEquals(
                    200, put(host, s + "&uuid=" + notes.getUuid(c), shorter).statusCode());
            assertArrayEquals(
                    shorter, get(host, s + "&ref=" + notes.toWireString()).body());
            assertEquals(3L, notes.getSize(c));

            // a public blob is read without credentials; a private one is not (Xapi's realm)
            assertEquals(200, put(host, s + "&ref=" + nb.toWireString(), data).statusCode());
            HttpResponse<byte[]> open = get(host, "ref=" + nb.toWireString());
            assertEquals(200, open.statusCode());
            assertEquals("text/plain", open.headers().firstValue("content-type").orElse(null));
            assertArrayEquals(data, open.body());
            HttpResponse<byte[]> closed = get(host, "ref=" + notes.toWireString());
            assertEquals(401, closed.statusCode());
            assertEquals(
                    "Basic realm=\"Blob handler\"",
                    closed.headers().firstValue("www-authenticate").orElse(null));

            // Xapi's answers for what names no blob
            HttpResponse<byte[]> bad = get(host, s);
            assertEquals(400, bad.statusCode());
            assertEquals(0, bad.body().length);
            HttpResponse<byte[]> unknownUuid = get(host, "uuid=00000000-0000-0000-0000-000000000000");
            assertEquals(404, unknownUuid.statusCode());
            assertEquals("Unknown reference\n", text(unknownUuid));
            HttpResponse<byte[]> unknownRef = get(host, s + "&ref=OpaqueRef:nope");
            assertEquals(404, unknownRef.statusCode());
            assertEquals("Unknown reference\n", text(unknownRef));
            assertEquals(404, put(host, s + "&ref=OpaqueRef:nope", data).statusCode());

            // PUT needs credentials and http/put_blob
            HttpResponse<byte[]> anonymous = put(host, "ref=" + notes.toWireString(), data);
            assertEquals(401, anonymous.statusCode());
            Connection reader = LifecycleSupport.login(host);
            Rbac rbac = Rbac.of(Datamodel.get());
            host.server.services().db().transact(tx -> {
                String rs = reader.getSessionReference();
                tx.set("session", rs, "is_local_superuser", false);
                tx.set("session", rs, "rbac_permissions", rbac.permissionsOf("read-only"));
                tx.set("session", rs, "auth_user_sid", "S-1-5-21-reader");
            });
            String rs = "session_id=" + reader.getSessionReference();
            assertEquals(
                    403, put(host, rs + "&ref=" + notes.toWireString(), data).statusCode());
            assertEquals(200, get(host, rs + "&ref=" + notes.toWireString()).statusCode(), "a reader reads");
            assertArrayEquals(shorter, Files.readAllBytes(file(notes, c)));
            assertEquals(3L, notes.getSize(c));
            assertEquals(
                    "RBAC_PERMISSION_DENIED",
                    raw(host)
                            .failure("blob.destroy", new Object[] {reader.getSessionReference(), notes.toWireString()})
                            .get(0));
        }
    }

    @Test
    void destroyingABlobOrItsVmTakesItsData() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            String s = "session_id=" + c.getSessionReference();
            VM vm = LifecycleSupport.newVm(host, c, "owner");
            Blob a = vm.createNewBlob(c, "a", "text/plain");
            Blob b = vm.createNewBlob(c, "b", "text/plain");
            byte[] data = "x".repeat(1000).getBytes(StandardCharsets.UTF_8);
            assertEquals(200, put(host, s + "&ref=" + a.toWireString(), data).statusCode());
            assertEquals(200, put(host, s + "&ref=" + b.toWireString(), data).statusCode());
            Path fa = file(a, c);
            Path fb = file(b, c);
            assertTrue(Files.exists(fa) && Files.exists(fb));

            // blob.destroy: out of the VM's blobs, row and file gone
            a.destroy(c);
            assertEquals(Map.of("b", b), vm.getBlobs(c));
            assertFalse(Files.exists(fa));
            assertEquals(
                    List.of("HANDLE_INVALID", "blob", a.toWireString()),
                    raw(host).failure("blob.destroy", new Object[] {c.getSessionReference(), a.toWireString()}));
            assertEquals(404, get(host, s + "&ref=" + a.toWireString()).statusCode());

            // VM.destroy: its blobs and their files go with it
            String buuid = b.getUuid(c);
            vm.destroy(c);
            assertFalse(host.server.services().data().exists("blob", b.toWireString()));
            assertFalse(Files.exists(fb));
            assertEquals(404, get(host, s + "&uuid=" + buuid).statusCode());
        }
    }

    @Test
    void refusedCallsAndUploadsChangeNothing() throws Exception {
        try (TestHost host = TestHost.start(dir, "--blob-max-size", "16")) {
            Connection c = LifecycleSupport.login(host);
            String session = c.getSessionReference();
            String s = "session_id=" + session;
            VM vm = LifecycleSupport.newVm(host, c, "owner");
            Blob kept = vm.createNewBlob(c, "kept", "");
            int blobs = Blob.getAll(c).size();

            // a name already used, an owner that is not there: no blob made
            assertEquals(
                    List.of("MAP_DUPLICATE_KEY", "VM", "blobs", vm.toWireString(), "kept"),
                    raw(host).failure("VM.create_new_blob", new Object[] {session, vm.toWireString(), "kept", "", false
                    }));
            assertEquals(
                    List.of("HANDLE_INVALID", "network", "OpaqueRef:nope"),
                    raw(host).failure("network.create_new_blob", new Object[] {session, "OpaqueRef:nope", "n", "", false
                    }));
            assertEquals(blobs, Blob.getAll(c).size());
            assertEquals(Map.of("kept", kept), vm.getBlobs(c));

            byte[] sixteen = "0123456789abcdef".getBytes(StandardCharsets.UTF_8);
            assertEquals(
                    200, put(host, s + "&ref=" + kept.toWireString(), sixteen).statusCode(), "at the limit");
            Date stamped = kept.getLastUpdated(c);

            // one byte over the limit: Xapi's oversize answer, nothing stored
            HttpResponse<byte[]> huge = put(host, s + "&ref=" + kept.toWireString(), new byte[17]);
            assertEquals(500, huge.statusCode());
            assertTrue(text(huge).contains("Http_svr.Client_requested_size_over_limit"), text(huge));
            assertArrayEquals(sixteen, Files.readAllBytes(file(kept, c)));
            assertEquals(16L, kept.getSize(c));
            assertEquals(stamped, kept.getLastUpdated(c));

            // no Content-Length (a chunked body): Xapi's failure, nothing stored
            try (RawHttp raw = new RawHttp(host.port())) {
                raw.send("PUT /blob?" + s + "&ref=" + kept.toWireString() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
                RawHttp.Reply reply = raw.read();
                assertEquals(500, reply.status());
                assertTrue(reply.text().contains("Failure(&quot;Need content length&quot;)"), reply.text());
            }
            // a body cut short: no answer, nothing stored
            try (RawHttp raw = new RawHttp(host.port())) {
                raw.send("PUT /blob?" + s + "&ref=" + kept.toWireString() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Length: 10\r\n\r\nabc");
            }
            LifecycleSupport.await(host, "the cut PUT to end", () -> {
                try (var files = Files.list(dir.resolve("blob-files"))) {
                    return files.noneMatch(f -> f.getFileName().toString().startsWith("."));
                }
            });
            assertArrayEquals(sixteen, Files.readAllBytes(file(kept, c)));
            assertEquals(16L, kept.getSize(c));
            assertEquals(stamped, kept.getLastUpdated(c));
            assertNull(host.server
                    .services()
                    .data()
                    .findByUuid("blob", "not-a-uuid")
                    .orElse(null));
        }
    }

    @Test
    void anEmptyPutStoresAnEmptyBlob() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            Blob b = Blob.create(c, "", true);
            URI u = host.uri("/blob?session_id=" + c.getSessionReference() + "&ref=" + b.toWireString());
            HttpResponse<byte[]> p = HTTP.send(
                    HttpRequest.newBuilder(u)
                            .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[0]))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, p.statusCode());
            assertEquals(0L, b.getSize(c));
            assertTrue(b.getLastUpdated(c).getTime() > 0);
            HttpResponse<byte[]> g = get(host, "ref=" + b.toWireString());
            assertEquals(200, g.statusCode());
            assertEquals(0, g.body().length);
        }
    }
}
