package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VDI;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * The bound on disk transfers at once ({@code max-transfers}): while one export holds the only slot (its client
 * reads nothing, so the server waits on a full socket), another transfer is answered {@code 503} and its task fails
 * {@code TOO_BUSY}, attaching nothing; once the first is gone, transfers run again.
 */
class TransferLimitTest {
    @TempDir
    Path dir;

    @Test
    void oneTransferTooManyIsRefusedUntilASlotIsFree() throws Exception {
        try (TestHost host = TestHost.start(dir, "--max-transfers", "1")) {
            Connection c = LifecycleSupport.login(host);
            String s = "session_id=" + c.getSessionReference();
            SR sr = Pool.getAll(c).iterator().next().getDefaultSR(c);
            VDI big = VDI.create(c, LifecycleSupport.vdiRecord(sr, "big", 256L << 20));
            VDI small = VDI.create(c, LifecycleSupport.vdiRecord(sr, "small", 1L << 20));

            HttpURLConnection slow = (HttpURLConnection) host.uri("/export_raw_vdi?" + s + "&vdi=" + big.toWireString())
                    .toURL()
                    .openConnection();
            InputStream held = slow.getInputStream(); // 200 and the first bytes; then nothing is read
            assertEquals(200, slow.getResponseCode());

            Task refused = Task.create(c, "second", "");
            HttpResponse<byte[]> busy = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(host.uri("/export_raw_vdi?" + s + "&vdi=" + small.toWireString()
                                            + "&task_id=" + refused.toWireString()))
                                    .GET()
                                    .build(),
                            HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(503, busy.statusCode());
            assertEquals(List.of("TOO_BUSY"), List.copyOf(refused.getErrorInfo(c)));

            held.close();
            slow.disconnect();
            LifecycleSupport.await(
                    host,
                    "the first transfer's slot is free",
                    () -> HttpClient.newHttpClient()
                                    .send(
                                            HttpRequest.newBuilder(host.uri(
                                                            "/export_raw_vdi?" + s + "&vdi=" + small.toWireString()))
                                                    .GET()
                                                    .build(),
                                            HttpResponse.BodyHandlers.ofByteArray())
                                    .statusCode()
                            == 200);
            // the abandoned export let its datapath go: the disk can be destroyed
            LifecycleSupport.await(host, "the big VDI destroyed", () -> {
                try {
                    big.destroy(c);
                    return true;
                } catch (Types.XenAPIException inUse) {
                    return false;
                }
            });
        }
    }
}
