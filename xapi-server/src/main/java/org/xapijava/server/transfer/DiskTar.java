package org.xapijava.server.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import net.jpountz.xxhash.StreamingXXHash64;
import net.jpountz.xxhash.XXHashFactory;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;

/**
 * A disk in Xapi's XVA chunk form ({@code stream_vdi.ml}), as {@code export_raw_vdi}/{@code import_raw_vdi} with
 * {@code format=tar} carry it and an XVA carries each disk: tar members {@code <prefix>/<8-digit chunk number>} of
 * 1 MiB (the last one shorter), each followed by {@code <name>.xxhash}, the XXH64 (seed 0) of its data in 16
 * uppercase hex digits; all-zero chunks left out except the first and the last; two zero blocks at the end.
 * Reading accepts {@code .checksum} (SHA-1, lower-case hex) too, any tar header style, and chunks of another size
 * (gaps count in units of the first chunk's length, as Xapi's). Stateless.
 */
final class DiskTar {
    /** Xapi's {@code vdi_tar_export_dir}: the prefix of a lone disk's members ({@code vdi}, the query's name too). */
    static final String PREFIX = org.xapijava.server.http.HttpParams.VDI;

    static final int CHUNK = 1 << 20;
    private static final XXHashFactory XXH = XXHashFactory.fastestJavaInstance();

    private DiskTar() {}

    /** Xapi's keep-alive: an empty chunk once nothing was written for 5 s ({@code stream_vdi.ml}). */
    static final long KEEP_ALIVE_NANOS = 5_000_000_000L;

    /**
     * The {@code size} bytes of {@code in} as chunks under {@code prefix}, then the tar's end; chunks through {@code
     * direct} where not null ({@link TarWriter#TarWriter(OutputStream, TarWriter.Direct)}).
     */
    static void write(
            DiskReader in,
            long size,
            String prefix,
            OutputStream out,
            TarWriter.Direct direct,
            RawVdiTransfer.Progress progress)
            throws IOException {
        TarWriter tar = new TarWriter(out, direct);
        writeChunks(tar, in, size, prefix, progress, KEEP_ALIVE_NANOS);
        tar.end();
    }

    /**
     * The {@code size} bytes of {@code in} as chunks under {@code prefix} (a member of a larger archive). While
     * all-zero chunks are skipped, an empty chunk (and its checksum) goes out once nothing was written for
     * {@code keepAliveNanos}, under the current number; the numbers after it are one higher for the same offsets, as
     * Xapi's {@code write_chunk ~timeout_workaround} (a reader places chunks by the gaps between numbers).
     */
    static void writeChunks(
            TarWriter tar,
            DiskReader in,
            long size,
            String prefix,
            RawVdiTransfer.Progress progress,
            long keepAliveNanos)
            throws IOException {
        // read into a direct buffer and sent from it: no copy into the heap and out again
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
        long chunks = (size + CHUNK - 1) / CHUNK;
        long shift = 0;
        long lastWrite = System.nanoTime();
        for (long k = 0; k < chunks; k++) {
            progress.check();
            long at = k * CHUNK;
            int len = (int) Math.min(CHUNK, size - at);
            boolean edge = k == 0 || k == chunks - 1;
            // a chunk known to be a hole is neither read nor scanned
            boolean zero = !edge && in.knownZero(at, len);
            if (!zero) {
                in.read(at, size, buf);
                zero = !edge && DiskWriter.allZero(buf, len);
            }
            if (!zero) {
                chunk(tar, prefix, k + shift, buf, len);
                lastWrite = System.nanoTime();
            } else if (System.nanoTime() - lastWrite >= keepAliveNanos) {
                chunk(tar, prefix, k + shift, buf, 0);
                shift++;
                lastWrite = System.nanoTime();
            }
            progress.at(k * CHUNK + len);
        }
    }

    private static void chunk(TarWriter tar, String prefix, long number, ByteBuffer buf, int len) throws IOException {
        String name = prefix + "/" + String.format(Locale.ROOT, "%08d", number);
        tar.file(name, buf, len);
        tar.file(name + ".xxhash", xxh64(buf, len).getBytes(StandardCharsets.US_ASCII), 16);
    }

    /**
     * Reads the chunks of {@code prefix} from {@code in} into {@code w} until the disk's size is covered, checking
     * each chunk's checksum file ({@code Invalid XVA file} for a member out of place, {@code Block <name> checksum
     * failed: ...} for a wrong checksum, as Xapi's failures).
     */
    static void read(InputStream in, String prefix, DiskWriter w, RawVdiTransfer.Progress progress) throws IOException {
        new Reader(new TarArchiveInputStream(in), true).disk(prefix, w, progress);
    }

    /**
     * Reads disks out of one archive ({@code stream_vdi.ml recv_all_vdi}): a gap between chunk numbers counts in
     * units of the first chunk met in the whole archive. Not thread-safe.
     */
    static final class Reader {
        private final TarArchiveInputStream tar;
        private final boolean verify;
        private final byte[] buf = new byte[CHUNK];
        private long firstLength = -1;

        /** {@code verify}: checksums are compared (false for {@code force} or an archive older than checksums). */
        Reader(TarArchiveInputStream tar, boolean verify) {
            this.tar = tar;
            this.verify = verify;
        }

        /** The chunks of {@code prefix} into {@code w}, until its size is covered. */
        void disk(String prefix, DiskWriter w, RawVdiTransfer.Progress progress) throws IOException {
            String last = "-1";
            long lastNumber = -1;
            long offset = 0;
            while (offset < w.size()) {
                progress.check();
                TarArchiveEntry e = tar.getNextEntry();
                if (e == null) throw new ApiError(ErrorCodes.IMPORT_ERROR_PREMATURE_EOF);
                String name = e.getName();
                if (firstLength < 0) firstLength = e.getSize();
                if (!name.startsWith(prefix + "/")) throw invalid();
                String suffix = name.substring(prefix.length() + 1);
                long number;
                try {
                    number = Long.parseLong(suffix);
                } catch (NumberFormatException bad) {
                    throw invalid();
                }
                if (suffix.compareTo(last) <= 0 || number <= lastNumber) throw invalid();
                long gap = number - lastNumber - 1;
                if (gap > 0) {
                    if (gap > (w.size() - offset) / Math.max(1, firstLength)) throw invalid();
                    w.zeros(offset, gap * firstLength);
                    offset += gap * firstLength;
                }
                StreamingXXHash64 xxh = XXH.newStreamingHash64(0);
                MessageDigest sha = sha1();
                long left = e.getSize();
                while (left > 0) {
                    int n = tar.readNBytes(buf, 0, (int) Math.min(buf.length, left));
                    if (n <= 0) throw new ApiError(ErrorCodes.IMPORT_ERROR_PREMATURE_EOF);
                    xxh.update(buf, 0, n);
                    sha.update(buf, 0, n);
                    w.write(offset, buf, 0, n);
                    offset += n;
                    left -= n;
                }
                TarArchiveEntry sum = tar.getNextEntry();
                if (sum == null) throw new ApiError(ErrorCodes.IMPORT_ERROR_PREMATURE_EOF);
                String recomputed;
                if (sum.getName().equals(name + ".xxhash")) recomputed = xxh64Text(xxh.getValue());
                else if (sum.getName().equals(name + ".checksum"))
                    recomputed = HexFormat.of().formatHex(sha.digest());
                else
                    throw ApiError.internal(
                            "Expected to find a supported inline checksum file, instead found a file called: "
                                    + sum.getName());
                if (sum.getSize() > 128) throw invalid();
                String original = new String(tar.readAllBytes(), StandardCharsets.US_ASCII);
                if (verify && !original.equals(recomputed))
                    throw ApiError.internal("Block " + name + " checksum failed: original = " + original
                            + "; recomputed = " + recomputed);
                last = suffix;
                lastNumber = number;
                progress.at(offset);
            }
        }
    }

    private static ApiError invalid() {
        return ApiError.internal("Invalid XVA file");
    }

    /** XXH64 (seed 0) of {@code n} bytes, as Xapi prints it ({@code %016LX}). */
    static String xxh64(byte[] b, int n) {
        return xxh64Text(XXH.hash64().hash(b, 0, n, 0));
    }

    /** {@link #xxh64(byte[], int)} of the first {@code n} bytes of {@code b} (its position and limit kept). */
    static String xxh64(ByteBuffer b, int n) {
        return xxh64Text(XXH.hash64().hash(b, 0, n, 0));
    }

    /** An XXH64 value as Xapi prints it ({@code %016LX}). */
    private static String xxh64Text(long hash) {
        return String.format(Locale.ROOT, "%016X", hash);
    }

    private static MessageDigest sha1() {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
