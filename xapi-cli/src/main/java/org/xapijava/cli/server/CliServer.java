package org.xapijava.cli.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.cli.protocol.CliMessage;
import org.xapijava.cli.protocol.CliProtocol;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;

/**
 * One {@code POST /cli} request after its body was read, as Xapi's {@code xapi_cli.ml handler}: the banner both
 * ways, the body's lines as the command line (a first {@code session_id=} line from a forwarding member), help
 * without a login, the command table, the required parameters, forwarding from a member, a session for the
 * command, its output, and every failure printed as Xapi prints it, then {@code Exit}.
 */
public final class CliServer {
    private static final Logger LOG = LoggerFactory.getLogger(CliServer.class);
    /** Xapi's {@code http_limit_max_cli_size}: the largest body {@code /cli} reads. */
    public static final int MAX_BODY = 200 * 1024;

    private final CliHost host;

    public CliServer(CliHost host) {
        this.host = host;
    }

    /**
     * Serves one connection; returns when the command ended (the caller closes the connection).
     *
     * @param body       the request body (at most {@link #MAX_BODY})
     * @param unixSocket whether the client came by the Unix socket
     */
    public void serve(byte[] body, InputStream in, OutputStream out, boolean unixSocket, String clientAddress)
            throws IOException {
        out.write(CliProtocol.banner());
        out.flush();
        CliProtocol.Version v = CliProtocol.readBanner(in);
        if (v.major() != CliProtocol.MAJOR) {
            LOG.info("CLI client with protocol {}.{} refused", v.major(), v.minor());
            return;
        }
        List<String> lines = lines(new String(body, StandardCharsets.UTF_8));
        String session = null;
        if (!lines.isEmpty() && lines.get(0).startsWith("session_id=")) {
            session = lines.get(0).substring("session_id=".length());
            lines = lines.subList(1, lines.size());
        }
        CliConnection conn = new CliConnection(in, out);
        ErrorPrinter errors = new ErrorPrinter(conn, host);
        CommandLine cmd;
        try {
            cmd = CommandLine.parse(lines);
        } catch (RuntimeException e) {
            errors.print(e);
            conn.send(new CliMessage.Exit(1));
            return;
        }
        try {
            int code = exec(cmd, lines, session, conn, in, out, unixSocket, clientAddress);
            if (code >= 0) conn.send(new CliMessage.Exit(code));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } catch (RuntimeException e) {
            if (e instanceof CliErrors.ExitWithError x) {
                conn.send(new CliMessage.Exit(x.code));
                return;
            }
            errors.print(e);
            if (cmd.params().opt("trace").map(t -> Params.parseBool("trace", t)).orElse(false)) {
                conn.printStderr("Raised " + e + "\n");
                conn.printStderr("Backtrace:\n");
                StringBuilder b = new StringBuilder();
                for (StackTraceElement s : e.getStackTrace()) b.append(s).append('\n');
                conn.printStderr(b.toString());
            }
            conn.send(new CliMessage.Exit(1));
        }
    }

    /** The body's lines: split on LF, one trailing CR dropped from each (Xapi's {@code zap_cr}). */
    static List<String> lines(String body) {
        List<String> out = new ArrayList<>();
        int start = 0;
        while (true) {
            int nl = body.indexOf('\n', start);
            String line = nl < 0 ? body.substring(start) : body.substring(start, nl);
            if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
            out.add(line);
            if (nl < 0) return out;
            start = nl + 1;
        }
    }

    /** Runs the command; returns the exit code to send, or -1 when the connection was handed on (forwarding). */
    private int exec(
            CommandLine cmd,
            List<String> args,
            String session,
            CliConnection conn,
            InputStream in,
            OutputStream out,
            boolean unixSocket,
            String clientAddress)
            throws IOException {
        Params p = cmd.params();
        boolean minimal = p.opt("minimal").map(CliServer::strictBool).orElse(false);
        String user = p.getOr("username", "");
        String password = p.getOr("password", "");
        if (cmd.name().equals("help")) {
            Printer printer = new Printer(conn, minimal);
            Help.run(printer, p);
            printer.flush();
            return 0;
        }
        CommandTable.Command c =
                CommandTable.get().command(cmd.name()).orElseThrow(() -> new CliErrors.UnknownCommand(cmd.name()));
        LOG.info("xe {} {}", cmd.name(), censored(cmd));
        for (String r : c.spec().reqd()) p.get(r);
        XenApi anon = new XenApi(host.transport(unixSocket, clientAddress), null);
        boolean local = c.spec().impl().localSession();
        if (!host.isMaster() && !c.spec().flags().contains(CommandFlag.NEVERFORWARD)) {
            if (!unixSocket) throw new ApiError("HOST_IS_SLAVE", host.masterAddress());
            String s = session != null ? session : login(anon, false, user, password);
            try {
                host.forwardToMaster(s, args, in, out);
            } finally {
                if (session == null) logout(anon.withSession(s), false);
            }
            return -1;
        }
        String s = session != null ? session : login(anon, local, user, password);
        try {
            Printer printer = new Printer(conn, minimal);
            c.impl().run(new CommandContext(conn, printer, anon.withSession(s), p, host, unixSocket));
            printer.flush();
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            if (session == null) logout(anon.withSession(s), local);
        }
    }

    private String login(XenApi anon, boolean local, String user, String password) {
        return local
                ? anon.session().slaveLocalLoginWithPassword(user, password)
                : anon.session().loginWithPassword(user, password, host.apiVersion(), "cli");
    }

    private static void logout(XenApi api, boolean local) {
        try {
            if (local) api.session().localLogout();
            else api.session().logout();
        } catch (RuntimeException e) {
            LOG.debug("CLI logout failed", e);
        }
    }

    /** OCaml's {@code bool_of_string}: exactly {@code true} or {@code false}. */
    private static boolean strictBool(String v) {
        return switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("bool_of_string");
        };
    }

    /** The command line for the log, sensitive values replaced by {@code (omitted)} as Xapi's. */
    static String censored(CommandLine cmd) {
        String name = cmd.name();
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : cmd.params().entries()) {
            if (!b.isEmpty()) b.append(' ');
            b.append(e.getKey()).append('=').append(sensitive(name, e.getKey()) ? "(omitted)" : e.getValue());
        }
        return b.toString();
    }

    private static boolean sensitive(String cmd, String k) {
        String kl = k.toLowerCase(java.util.Locale.ROOT);
        if (cmd.equals("user-password-change") && (k.equals("old") || k.equals("new"))) return true;
        if (cmd.toLowerCase(java.util.Locale.ROOT).contains("secret") && (k.equals("value") || kl.contains("secret")))
            return true;
        if (cmd.endsWith("auth") && k.equals("config:pass")) return true;
        if (cmd.equals("host-call-plugin") && k.startsWith("args")) return true;
        if (cmd.equals("pool-sync-updates") && k.equals("token")) return true;
        return kl.contains("password") || k.equals("url");
    }
}
