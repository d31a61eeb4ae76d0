package org.xapijava.cli.client;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.xapijava.cli.protocol.CliProtocol;

/**
 * {@code xe}, the thin CLI client: it takes its connection options (§2 of the CLI reference), sends the rest of the
 * command line to the server's {@code POST /cli}, and obeys the server's commands (§1). It uses only the JDK and
 * the protocol codec, so that it starts fast.
 */
public final class Xe {
    /** Xapi's interval between {@code Response Wait} heartbeats during a transfer. */
    static final long HEARTBEAT_MILLIS = 300_000;

    private Xe() {}

    public static void main(String[] args) throws java.io.IOException {
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 65536));
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true);
        Interrupt.install();
        Map<String, String> env = System.getenv();
        String home = env.get("HOME");
        Stdio stdio = new Stdio(System.in, out, err, System.getProperty("user.dir"), true);
        if (Boolean.getBoolean("xe.train")) System.exit(Training.run());
        int code = run(
                args,
                env,
                Path.of(home == null || home.isEmpty() ? "/" : home),
                stdio,
                HEARTBEAT_MILLIS,
                System.getProperty("xe.program", "xe"));
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * Runs one {@code xe} command; returns its exit status. {@code env} stands for the environment ({@code
     * XE_EXTRA_ARGS}, {@code XE_UNIX_SOCKET}, {@code TRACEPARENT}, {@code BAGGAGE}) and {@code home} for the
     * directory of {@code .xe}.
     */
    public static int run(
            String[] args, Map<String, String> env, Path home, InputStream stdin, PrintStream out, PrintStream err) {
        Stdio stdio = new Stdio(stdin, out, err, System.getProperty("user.dir"), false);
        return run(args, env, home, stdio, HEARTBEAT_MILLIS, "xe");
    }

    static int run(
            String[] args, Map<String, String> env, Path home, Stdio stdio, long heartbeatMillis, String program) {
        for (String a : args) {
            if (a.equals("-version")) {
                stdio.out().print("ThinCLI protocol: " + CliProtocol.MAJOR + "." + CliProtocol.MINOR + "\n");
                stdio.out().flush();
                return 0;
            }
        }
        DebugLog debug = new DebugLog(stdio.err());
        Connector.Conn conn = null;
        int code = 1;
        try {
            XeOptions options = XeOptions.parse(args, env, home, stdio.err());
            debug.open(options.debug, options.debugOnFail);
            PermittedFiles permitted = new PermittedFiles(stdio.cwd(), options.words);
            if (options.words.isEmpty()) throw XeException.usage("");
            Connector connector = new Connector(options, env.get("XE_UNIX_SOCKET"), debug);
            conn = connect(connector, options, debug);
            try {
                conn.out.write(request(options, env));
                conn.out.flush();
            } catch (IOException e) {
                throw XeException.socketError(e.getMessage(), "write");
            }
            code = new Session(options, connector, permitted, debug, stdio, heartbeatMillis, conn.in, conn.out).run();
        } catch (XeException e) {
            code = e.exitCode;
            report(stdio.err(), e, program);
        } catch (RuntimeException e) {
            code = 1;
            report(stdio.err(), XeException.unhandled(e), program);
        } finally {
            if (conn != null) conn.close();
            stdio.out().flush();
            debug.finish(code);
        }
        return code;
    }

    private static Connector.Conn connect(Connector connector, XeOptions options, DebugLog debug) throws XeException {
        try {
            return connector.openCli();
        } catch (UnknownHostException e) {
            throw XeException.hostNotFound(options.server);
        } catch (Connector.TlsFailure e) {
            debug.log("TLS connection failed: " + e.getMessage() + "\n");
            throw XeException.connectFailure();
        } catch (ConnectException e) {
            throw XeException.socketError(e.getMessage(), "connect");
        } catch (SocketException e) {
            throw XeException.socketError(e.getMessage(), "connect");
        } catch (IOException e) {
            throw XeException.unhandled(e);
        }
    }

    /** The request of §1.2: HTTP/1.0, no Host header, the words and the credentials as the body. */
    static byte[] request(XeOptions options, Map<String, String> env) {
        StringBuilder body = new StringBuilder();
        for (String w : options.words) body.append(w).append('\n');
        body.append("username=").append(options.username).append('\n');
        body.append("password=").append(options.password);
        byte[] b = body.toString().getBytes(StandardCharsets.UTF_8);
        StringBuilder h = new StringBuilder(256);
        h.append("POST /cli HTTP/1.0\r\n");
        h.append("User-agent: xe-cli/Unix/")
                .append(CliProtocol.MAJOR)
                .append('.')
                .append(CliProtocol.MINOR);
        h.append("\r\noriginator: cli\r\n");
        if (options.traceparent != null)
            h.append("traceparent: ").append(options.traceparent).append("\r\n");
        String baggage = env.get("BAGGAGE");
        if (baggage != null) h.append("baggage: ").append(baggage).append("\r\n");
        h.append("content-length: ").append(b.length).append("\r\n\r\n");
        ByteArrayOutputStream all = new ByteArrayOutputStream(h.length() + b.length);
        all.writeBytes(h.toString().getBytes(StandardCharsets.UTF_8));
        all.writeBytes(b);
        return all.toByteArray();
    }

    private static void report(PrintStream err, XeException e, String program) {
        byte[] text = Session.utf8(e.stderrText);
        err.write(text, 0, text.length);
        if (e.usage) err.print(usage(program));
        err.flush();
    }

    /** The usage text (§2.3), naming the program as it was called. */
    static String usage(String program) {
        return "Usage:\n"
                + "  " + program + " <command>\n"
                + "    [ -s <server> ]            XenServer host\n"
                + "    [ -p <port> ]              XenServer port number\n"
                + "    [ -u <username> -pw <password> | -pwf <password file> ]\n"
                + "                               User authentication (password or file)\n"
                + "    [ --nossl ]                Disable SSL/TLS\n"
                + "    [ --debug ]                Enable debug output\n"
                + "    [ --debug-on-fail ]        Enable debug output only on failure\n"
                + "    [ --minimal ]              Output only values in a comma-separated lists\n"
                + "    [ --traceparent <value> ]  Distributed tracing context\n"
                + "    [ --trace ]                Show task stacktrace on failure\n"
                + "    [ <other arguments> ... ]  Command-specific options\n"
                + "\n"
                + "A full list of commands can be obtained by running\n"
                + "  " + program + " help -s <server> -p <port>\n";
    }

    /** Ctrl-C ends the client with status 1, as Xapi's client does. */
    private static final class Interrupt implements sun.misc.SignalHandler {
        static void install() {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal("INT"), new Interrupt());
            } catch (RuntimeException | LinkageError e) {
                // the JVM's own handling (status 130) stays
            }
        }

        @Override
        public void handle(sun.misc.Signal sig) {
            System.exit(1);
        }
    }
}
