package org.xapijava.server.auth;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;

/** C-string helpers: Xapi hands user names and passwords to C, where they end at the first NUL. */
final class CStrings {

    private CStrings() {}

    /** The UTF-8 bytes of {@code s} up to (not including) its first NUL character; null reads as "". */
    static byte[] utf8(String s) {
        return truncateAtNul(s).getBytes(StandardCharsets.UTF_8);
    }

    /** {@code s} up to its first NUL character; null reads as "". */
    static String truncateAtNul(String s) {
        if (s == null) {
            return "";
        }
        int nul = s.indexOf('\0');
        return nul < 0 ? s : s.substring(0, nul);
    }

    /** Native memory holding {@code bytes} and a terminating NUL (freed by {@link Memory#close()} or the GC). */
    static Memory memory(byte[] bytes) {
        Memory m = new Memory(bytes.length + 1L);
        m.write(0, bytes, 0, bytes.length);
        m.setByte(bytes.length, (byte) 0);
        return m;
    }

    /** strlen of the C string at {@code p}. */
    static long length(Pointer p) {
        long n = 0;
        while (p.getByte(n) != 0) {
            n++;
        }
        return n;
    }
}
