package org.xapijava.cli.client;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/** Runs the client in process with a given environment, home, working directory and stdin. */
final class XeTestSupport {
    final Path dir;
    final Map<String, String> env = new HashMap<>();
    InputStream stdin = new ByteArrayInputStream(new byte[0]);
    long heartbeatMillis = Xe.HEARTBEAT_MILLIS;

    XeTestSupport(Path dir) {
        this.dir = dir;
        // no Unix socket unless a test gives one: the client falls back to TCP
        env.put("XE_UNIX_SOCKET", dir.resolve("no-such.sock").toString());
    }

    record Result(int code, String out, String err) {}

    Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        int code = Xe.run(args, env, dir, new Stdio(stdin, o, e, dir.toString(), false), heartbeatMillis, "xe");
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    void stdin(String s) {
        stdin = new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }
}
