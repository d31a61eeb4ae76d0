package org.xapijava.server.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.DoubleConsumer;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.storage.StorageBackends;

/**
 * A VDI of this host written into a VDI on another host (or this one) over that host's {@code PUT /import_raw_vdi}:
 * the disk read as an export reads it ({@link ExportDisk}: directly when safe, else through a read-only datapath of
 * the push's own, which shares a running VM's read-write one), its whole virtual size sent raw with a
 * {@code Content-Length}. Used by {@code VM.migrate_send} within a pool, where no host sees both SRs. Blocking;
 * thread-safe (each call has its own reader and connection).
 */
public final class VdiPush {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);

    private VdiPush() {}

    /**
     * Sends {@code vdi} (size {@code size}) to {@code target}, the destination's
     * {@code http://<host>/import_raw_vdi?vdi=<ref>&session_id=<s>&format=raw}; {@code step} runs before each block
     * (it throws to stop the push: the destination's import then fails and writes nothing more), {@code progress} is
     * told the fraction done.
     *
     * @param dp the datapath a read through one uses (destroyed at the end)
     * @throws ApiError the destination's refusal ({@code VDI_IO_ERROR} with its HTTP status), what {@code step}
     *                  threw, or the storage layer's error
     */
    public static void push(
            StorageBackends storage,
            String vdi,
            long size,
            URI target,
            String dp,
            Runnable step,
            DoubleConsumer progress) {
        RuntimeException[] stopped = {null};
        try (ExportDisk disk = ExportDisk.open(storage, vdi, dp, true)) {
            DiskReader reader = disk.reader();
            InputStream body = new InputStream() {
                private final byte[] block = new byte[RawVdiTransfer.BLOCK];
                private long at;
                private int pos, len;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int n) throws IOException {
                    if (pos == len) {
                        if (at >= size) return -1;
                        try {
                            step.run();
                        } catch (RuntimeException e) {
                            stopped[0] = e;
                            throw new IOException("push stopped: " + e.getMessage(), e);
                        }
                        len = reader.read(at, size, block);
                        at += len;
                        pos = 0;
                        progress.accept((double) at / size);
                    }
                    int k = Math.min(n, len - pos);
                    System.arraycopy(block, pos, b, off, k);
                    pos += k;
                    return k;
                }
            };
            HttpRequest req = HttpRequest.newBuilder(target)
                    .PUT(HttpRequest.BodyPublishers.fromPublisher(
                            HttpRequest.BodyPublishers.ofInputStream(() -> body), size))
                    .build();
            HttpResponse<String> res;
            try (HttpClient client = HttpClient.newBuilder()
                    .connectTimeout(CONNECT_TIMEOUT)
                    .version(HttpClient.Version.HTTP_1_1)
                    .build()) {
                res = client.send(req, HttpResponse.BodyHandlers.ofString());
            }
            if (stopped[0] != null) throw stopped[0];
            if (res.statusCode() != 200) {
                throw new ApiError(
                        ErrorCodes.VDI_IO_ERROR, "import_raw_vdi of " + vdi + " answered HTTP " + res.statusCode());
            }
        } catch (IOException e) {
            if (stopped[0] != null) throw stopped[0];
            throw new ApiError(ErrorCodes.VDI_IO_ERROR, "copy of " + vdi + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(ErrorCodes.VDI_IO_ERROR, "copy of " + vdi + " interrupted");
        } catch (RuntimeException e) {
            if (stopped[0] != null && e != stopped[0]) throw stopped[0];
            throw e;
        }
    }
}
