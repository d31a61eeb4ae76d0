package org.xapijava.server.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleConsumer;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.storage.StorageBackends;

/**
 * A VDI of this host written into a new VDI on another host (or this one) over that host's
 * {@code PUT /import_raw_vdi?chunked}, Xapi's framing of {@code {offset, length}} chunks ({@link ChunkedRaw}): only the
 * blocks holding data are sent (the new VDI reads as zeros already). The disk is read as an export reads it
 * ({@link ExportDisk}: directly when safe, else through a read-only datapath of the push's own, which shares a running
 * VM's read-write one). Used by {@code VM.migrate_send} within a pool, where no host sees both SRs.
 *
 * <p>A disk a running VM writes is pushed twice: {@link #push} while the VM runs, which remembers a digest of each
 * block as sent, then, with the VM paused, {@link #pushChanges}, which sends every block whose bytes now differ from
 * what was sent (a block written during the first push, or read half-written, differs). Afterwards the destination
 * holds the disk's bytes exactly. Blocking; thread-safe (each call has its own reader and connection).
 */
public final class VdiPush {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final int BLOCK = RawVdiTransfer.BLOCK;
    private static final byte[] ZEROS = new byte[BLOCK];

    private VdiPush() {}

    /** What the destination holds after a push: per block, the digest of the bytes sent, or null (zeros). */
    public static final class Sent {
        private final long size;
        private final byte[][] digests;

        private Sent(long size) {
            this.size = size;
            this.digests = new byte[(int) ((size + BLOCK - 1) / BLOCK)][];
        }
    }

    /**
     * Sends {@code vdi} (size {@code size}) to {@code target}, the destination's
     * {@code http://<host>/import_raw_vdi?chunked=true&format=raw&vdi=<ref>&session_id=<s>} for a new VDI; {@code step}
     * runs before each block read (it throws to stop the push: the destination's import then fails and writes nothing
     * more), {@code progress} is told the fraction done.
     *
     * @param dp the datapath a read through one uses (destroyed at the end)
     * @return what was sent, for {@link #pushChanges}
     * @throws ApiError the destination's refusal ({@code VDI_IO_ERROR} with its HTTP status), what {@code step}
     *                  threw, or the storage layer's error
     */
    public static Sent push(
            StorageBackends storage,
            String vdi,
            long size,
            URI target,
            javax.net.ssl.SSLContext tls,
            String dp,
            Runnable step,
            DoubleConsumer progress) {
        Sent sent = new Sent(size);
        try (ExportDisk disk = ExportDisk.open(storage, vdi, dp, true)) {
            DiskReader reader = disk.reader();
            byte[] buf = new byte[BLOCK];
            List<Integer> blocks = new ArrayList<>();
            for (int i = 0; i < sent.digests.length; i++) {
                step.run();
                int n = reader.read((long) i * BLOCK, size, buf);
                if (!zero(buf, n)) blocks.add(i);
                progress.accept(0.1 * (i + 1) / sent.digests.length);
            }
            send(reader, vdi, sent, blocks, target, tls, step, f -> progress.accept(0.1 + 0.9 * f));
            return sent;
        } catch (IOException e) {
            throw new ApiError(ErrorCodes.VDI_IO_ERROR, "copy of " + vdi + ": " + e.getMessage());
        }
    }

    /**
     * Sends the blocks of {@code vdi} whose bytes differ from what {@code sent} records (to the same VDI, as
     * {@link #push}); {@code sent} then records them.
     *
     * @return the number of blocks sent
     */
    public static int pushChanges(
            StorageBackends storage,
            String vdi,
            Sent sent,
            URI target,
            javax.net.ssl.SSLContext tls,
            String dp,
            Runnable step) {
        try (ExportDisk disk = ExportDisk.open(storage, vdi, dp, true)) {
            DiskReader reader = disk.reader();
            byte[] buf = new byte[BLOCK];
            MessageDigest md = sha256();
            List<Integer> changed = new ArrayList<>();
            for (int i = 0; i < sent.digests.length; i++) {
                step.run();
                int n = reader.read((long) i * BLOCK, sent.size, buf);
                byte[] was = sent.digests[i];
                boolean same = was == null ? zero(buf, n) : Arrays.equals(was, digest(md, buf, n));
                if (!same) changed.add(i);
            }
            if (!changed.isEmpty()) send(reader, vdi, sent, changed, target, tls, step, f -> {});
            return changed.size();
        } catch (IOException e) {
            throw new ApiError(ErrorCodes.VDI_IO_ERROR, "copy of " + vdi + ": " + e.getMessage());
        }
    }

    /** One {@code PUT}: each of {@code blocks} read again and sent as a chunk, its digest kept in {@code sent}. */
    private static void send(
            DiskReader reader,
            String vdi,
            Sent sent,
            List<Integer> blocks,
            URI target,
            javax.net.ssl.SSLContext tls,
            Runnable step,
            DoubleConsumer progress)
            throws IOException {
        long length = ChunkedRaw.HEADER;
        for (int i : blocks) length += ChunkedRaw.HEADER + blockLength(sent.size, i);
        RuntimeException[] stopped = {null};
        MessageDigest md = sha256();
        InputStream body = new InputStream() {
            private final byte[] block = new byte[ChunkedRaw.HEADER + BLOCK];
            private int next;
            private int pos, len;
            private boolean ended;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int n) throws IOException {
                if (pos == len && !fill()) return -1;
                int k = Math.min(n, len - pos);
                System.arraycopy(block, pos, b, off, k);
                pos += k;
                return k;
            }

            private boolean fill() throws IOException {
                pos = 0;
                if (next == blocks.size()) {
                    if (ended) return false;
                    System.arraycopy(ChunkedRaw.header(0, 0), 0, block, 0, ChunkedRaw.HEADER);
                    len = ChunkedRaw.HEADER;
                    ended = true;
                    return true;
                }
                try {
                    step.run();
                } catch (RuntimeException e) {
                    stopped[0] = e;
                    throw new IOException("push stopped: " + e.getMessage(), e);
                }
                int i = blocks.get(next++);
                long at = (long) i * BLOCK;
                int n = blockLength(sent.size, i);
                byte[] data = new byte[BLOCK];
                reader.read(at, sent.size, data);
                sent.digests[i] = digest(md, data, n);
                System.arraycopy(ChunkedRaw.header(at, n), 0, block, 0, ChunkedRaw.HEADER);
                System.arraycopy(data, 0, block, ChunkedRaw.HEADER, n);
                len = ChunkedRaw.HEADER + n;
                progress.accept((double) next / blocks.size());
                return true;
            }
        };
        HttpRequest req = HttpRequest.newBuilder(target)
                .PUT(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> body), length))
                .build();
        HttpResponse<String> res;
        HttpClient.Builder cb =
                HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).version(HttpClient.Version.HTTP_1_1);
        if (tls != null) cb.sslContext(tls); // an https target: the pool's trust (its manager checks no host name)
        try (HttpClient client = cb.build()) {
            res = client.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            if (stopped[0] != null) throw stopped[0];
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(ErrorCodes.VDI_IO_ERROR, "copy of " + vdi + " interrupted");
        }
        if (stopped[0] != null) throw stopped[0];
        if (res.statusCode() != 200) {
            throw new ApiError(
                    ErrorCodes.VDI_IO_ERROR, "import_raw_vdi of " + vdi + " answered HTTP " + res.statusCode());
        }
    }

    private static int blockLength(long size, int i) {
        return (int) Math.min(BLOCK, size - (long) i * BLOCK);
    }

    private static boolean zero(byte[] buf, int n) {
        return Arrays.mismatch(buf, 0, n, ZEROS, 0, n) < 0;
    }

    private static byte[] digest(MessageDigest md, byte[] buf, int n) {
        md.reset();
        md.update(buf, 0, n);
        return md.digest();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
