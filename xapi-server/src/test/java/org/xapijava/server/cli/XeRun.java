package org.xapijava.server.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.cli.client.Xe;
import org.xapijava.server.TestHost;

/** Runs the real {@code xe} client code against a test host and keeps what it printed. */
public final class XeRun {
    /** What one command printed and its exit status. */
    public record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private XeRun() {}

    /** {@link #tcp} of a command that must succeed silently on stderr; its stdout. */
    public static String ok(TestHost host, Path home, String... args) {
        Result r = tcp(host, home, "", args);
        if (r.code() != 0 || !r.err().isEmpty()) {
            throw new AssertionError("xe " + String.join(" ", args) + "\n" + r);
        }
        return r.out();
    }

    /** Over TCP with the host's root password (the Unix socket named by XE_UNIX_SOCKET does not exist). */
    public static Result tcp(TestHost host, Path home, String stdin, String... args) {
        List<String> a = new ArrayList<>(
                List.of("-s", "127.0.0.1", "-p", Integer.toString(host.port()), "-u", "root", "-pw", host.password()));
        a.addAll(List.of(args));
        return run(Map.of("XE_UNIX_SOCKET", home.resolve("no-socket").toString()), home, stdin, a);
    }

    /** Over the host's Unix socket (the local superuser: no password). */
    public static Result unix(TestHost host, Path home, String stdin, String... args) {
        return run(Map.of("XE_UNIX_SOCKET", host.dir.resolve("xapi.sock").toString()), home, stdin, List.of(args));
    }

    public static Result run(Map<String, String> env, Path home, String stdin, List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Xe.run(
                    args.toArray(String[]::new),
                    env,
                    home,
                    new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                    o,
                    e);
        }
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
