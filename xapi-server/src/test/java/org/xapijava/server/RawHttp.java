package org.xapijava.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Tests reading HTTP messages byte by byte from a socket, as a server or a client written by hand. Stateless. */
public final class RawHttp {
    private RawHttp() {}

    /** A message's head up to and with its blank line (what was read, should the stream end first). */
    public static String head(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            head.write(c);
            if (c == '\n' && head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) break;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** The {@code Content-Length} of {@code head}, 0 when it has none. */
    public static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:"))
                return Integer.parseInt(line.substring(15).strip());
        }
        return 0;
    }

    /** The body that follows {@code head} on {@code in}, as UTF-8 text. */
    public static String body(InputStream in, String head) throws IOException {
        return new String(in.readNBytes(contentLength(head)), StandardCharsets.UTF_8);
    }
}
