package org.xapijava.server.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
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

    /** The {@code size} bytes of {@code in} as chunks under {@code prefix}, then the tar's end. */
    static void write(FileChannel in, long size, String prefix, OutputStream out, RawVdiTransfer.Progress progress)
            throws IOException {
        TarWriter tar = new TarWriter(out);
        byte[] buf = new byte[CHUNK];
        long chunks = (size + CHUNK - 1) / CHUNK;
        for (long k = 0; k < chunks; k++) {
            progress.check();
            int len = DiskReader.read(in, k * CHUNK, size, buf);
            if (k == 0 || k == chunks - 1 || !DiskWriter.allZero(buf, 0, len)) {
                String name = prefix + "/" + String.format(Locale.ROOT, "%08d", k);
                tar.file(name, buf, len);
                tar.file(name + ".xxhash", xxh64(buf, len).getBytes(StandardCharsets.US_ASCII), 16);
            }
            progress.at(k * CHUNK + len);
        }
        tar.end();
    }

    /**
     * Reads the chunks of {@code prefix} from {@code in} into {@code w} until the disk's size is covered, checking
     * each chunk's checksum file ({@code Invalid XVA file} for a member out of place, {@code Block <name> checksum
     * failed: ...} for a wrong checksum, as Xapi's failures).
     */
    static void read(InputStream in, String prefix, DiskWriter w, RawVdiTransfer.Progress progress) throws IOException {
        TarArchiveInputStream tar = new TarArchiveInputStream(in);
        String last = "-1";
        long lastNumber = -1;
        long firstLength = -1;
        long offset = 0;
        byte[] buf = new byte[CHUNK];
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
            if (suffix.compareTo(last) <= 0) throw invalid();
            long gap = number - lastNumber - 1;
            if (gap > 0) {
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
            if (sum.getName().equals(name + ".xxhash"))
                recomputed = String.format(Locale.ROOT, "%016X", xxh.getValue());
            else if (sum.getName().equals(name + ".checksum"))
                recomputed = HexFormat.of().formatHex(sha.digest());
            else
                throw ApiError.internal(
                        "Expected to find a supported inline checksum file, instead found a file called: "
                                + sum.getName());
            String original = new String(tar.readAllBytes(), StandardCharsets.US_ASCII);
            if (!original.equals(recomputed))
                throw ApiError.internal(
                        "Block " + name + " checksum failed: original = " + original + "; recomputed = " + recomputed);
            last = suffix;
            lastNumber = number;
            progress.at(offset);
        }
    }

    private static ApiError invalid() {
        return ApiError.internal("Invalid XVA file");
    }

    /** XXH64 (seed 0) of {@code n} bytes, as Xapi prints it ({@code %016LX}). */
    static String xxh64(byte[] b, int n) {
        return String.format(Locale.ROOT, "%016X", XXH.hash64().hash(b, 0, n, 0));
    }

    private static MessageDigest sha1() {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
