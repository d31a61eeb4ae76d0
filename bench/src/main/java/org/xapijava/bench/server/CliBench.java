package org.xapijava.bench.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xapijava.bench.Stats;
import org.xapijava.bench.lifecycle.XmlRpcConnection;
import org.xapijava.cli.protocol.CliMessage;
import org.xapijava.cli.protocol.CliProtocol;

/**
 * What an {@code xe} command costs (issue 15, item 5) on a development host started by {@code scripts/xapi}:
 * <ul>
 *   <li>{@code scripts/xe vm-list --minimal} as a process, start to exit, over TCP and over the Unix socket (the
 *       client's JVM start-up included), against a bare {@code curl} of the XML-RPC {@code VM.get_all} (with a session
 *       made beforehand) in the same run, interleaved;
 *   <li>the server's time per command: the same {@code POST /cli} exchange from this JVM (login, the command, logout,
 *       no client start-up);
 *   <li>{@code xe vm-list} (every record block) and {@code --minimal} with {@code --vms N} VMs (default 1000).
 * </ul>
 * Prints Markdown on standard output. Run by {@code scripts/bench-cli}. Options: {@code --samples N} (default 20),
 * {@code --vms N}.
 */
public final class CliBench {
    private CliBench() {}

    public static void main(String[] args) throws Exception {
        int samples = 20;
        int vms = 1000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--samples" -> samples = Integer.parseInt(args[++i]);
                case "--vms" -> vms = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        PrintStream log = System.err;
        Path root = Path.of(System.getProperty("bench.root", ".")).toAbsolutePath();
        String load = Stats.loadAverage();
        StringBuilder out = new StringBuilder();
        try (LaunchedHost host = LaunchedHost.xapi(root, Map.of(), List.of())) {
            int port = host.address.getPort();
            Path sock = host.dataDir().resolve("xapi.sock");
            String pw = host.password;
            List<String> xe = List.of(
                    root.resolve("scripts/xe").toString(),
                    "-s",
                    "127.0.0.1",
                    "-p",
                    Integer.toString(port),
                    "-u",
                    "root",
                    "-pw",
                    pw);
            String session;
            try (XmlRpcConnection c = new XmlRpcConnection(host.address)) {
                session = (String) c.call("session.login_with_password", "root", pw, "1.0", "bench");
            }
            String body = "<?xml version=\"1.0\"?><methodCall><methodName>VM.get_all</methodName><params><param>"
                    + "<value><string>" + session + "</string></value></param></params></methodCall>";
            List<String> curl = List.of(
                    "curl",
                    "-s",
                    "-o",
                    "/dev/null",
                    "-X",
                    "POST",
                    "-H",
                    "Content-Type: text/xml",
                    "--data-binary",
                    body,
                    "http://127.0.0.1:" + port + "/");
            // first run builds the client's class cache (training): not measured
            run(concat(xe, List.of("vm-list", "--minimal")), Map.of("XE_UNIX_SOCKET", "/nonexistent"));
            double[] tcp = new double[samples];
            double[] unix = new double[samples];
            double[] bare = new double[samples];
            double[] server = new double[samples];
            for (int i = 0; i < samples; i++) {
                tcp[i] = run(concat(xe, List.of("vm-list", "--minimal")), Map.of("XE_UNIX_SOCKET", "/nonexistent"));
                unix[i] = run(concat(xe, List.of("vm-list", "--minimal")), Map.of("XE_UNIX_SOCKET", sock.toString()));
                bare[i] = run(curl, Map.of());
                server[i] = inProcess(port, List.of("vm-list", "--minimal", "username=root", "password=" + pw));
            }
            log.printf(
                    Locale.ROOT,
                    "xe tcp p50 %.1f ms, unix %.1f ms, curl %.1f ms, server %.1f ms%n",
                    Stats.percentile(tcp, 50),
                    Stats.percentile(unix, 50),
                    Stats.percentile(bare, 50),
                    Stats.percentile(server, 50));
            out.append(String.format(
                    Locale.ROOT,
                    "One development host (scripts/xapi); %d samples each,"
                            + " interleaved; %d cores; load average %s before.%n%n",
                    samples,
                    Runtime.getRuntime().availableProcessors(),
                    load));
            out.append("| command | p50 | p90 | min | vs curl p50 |\n|---|---:|---:|---:|---:|\n");
            double base = Stats.percentile(bare, 50);
            row(out, "`curl` XML-RPC `VM.get_all` (session made before)", bare, base);
            row(out, "`scripts/xe vm-list --minimal`, TCP (login, command, logout)", tcp, base);
            row(out, "`scripts/xe vm-list --minimal`, Unix socket", unix, base);
            row(out, "the same `POST /cli` from a running JVM (server time)", server, base);

            // many VMs: clones of a template, made over XML-RPC
            log.println("making " + vms + " VMs...");
            try (XmlRpcConnection c = new XmlRpcConnection(host.address)) {
                @SuppressWarnings("unchecked")
                List<Object> templates = (List<Object>) c.call("VM.get_by_name_label", session, "Debian Bookworm 12");
                String template = (String) templates.get(0);
                for (int i = 0; i < vms; i++) {
                    String vm = (String) c.call("VM.clone", session, template, "bench-" + i);
                    c.call("VM.set_is_a_template", session, vm, false); // a clone of a template is a template
                }
            }
            int rounds = Math.max(3, samples / 4);
            double[] full = new double[rounds];
            double[] minimal = new double[rounds];
            double[] fullServer = new double[rounds];
            long bytes = 0;
            for (int i = 0; i < rounds; i++) {
                full[i] = run(concat(xe, List.of("vm-list")), Map.of("XE_UNIX_SOCKET", sock.toString()));
                minimal[i] =
                        run(concat(xe, List.of("vm-list", "--minimal")), Map.of("XE_UNIX_SOCKET", sock.toString()));
                long t0 = System.nanoTime();
                bytes = exchange(port, List.of("vm-list", "username=root", "password=" + pw));
                fullServer[i] = (System.nanoTime() - t0) / 1e6;
            }
            out.append(String.format(
                    Locale.ROOT, "%nWith %d more VMs (%d rounds; `vm-list` prints %d bytes):%n%n", vms, rounds, bytes));
            out.append("| command | p50 | p90 | min | vs curl p50 |\n|---|---:|---:|---:|---:|\n");
            row(out, "`scripts/xe vm-list`, Unix socket", full, base);
            row(out, "`scripts/xe vm-list --minimal`, Unix socket", minimal, base);
            row(out, "`vm-list` from a running JVM (server time)", fullServer, base);
        }
        System.out.println(out);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> l = new ArrayList<>(a);
        l.addAll(b);
        return l;
    }

    private static void row(StringBuilder out, String what, double[] x, double base) {
        out.append(String.format(
                Locale.ROOT,
                "| %s | %.1f ms | %.1f ms | %.1f ms | %.2f× |%n",
                what,
                Stats.percentile(x, 50),
                Stats.percentile(x, 90),
                Stats.min(x),
                Stats.percentile(x, 50) / base));
    }

    /** Wall time of a process, start to exit, in ms; its output discarded, a failure fatal. */
    private static double run(List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        Process p = pb.start();
        int code = p.waitFor();
        double ms = (System.nanoTime() - t0) / 1e6;
        if (code != 0) throw new IOException(String.join(" ", cmd) + " exited " + code);
        return ms;
    }

    private static double inProcess(int port, List<String> args) throws IOException {
        long t0 = System.nanoTime();
        exchange(port, args);
        return (System.nanoTime() - t0) / 1e6;
    }

    /** One {@code POST /cli} exchange as xe makes it; returns the bytes printed; fails unless it exits 0. */
    private static long exchange(int port, List<String> args) throws IOException {
        byte[] body = String.join("\n", args).getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream o = s.getOutputStream();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream req = new ByteArrayOutputStream();
            req.writeBytes(("POST /cli HTTP/1.0\r\nUser-agent: xe-cli/Unix/0.2\r\noriginator: cli\r\ncontent-length: "
                            + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            req.writeBytes(body);
            o.write(req.toByteArray());
            o.flush();
            CliProtocol.readBanner(in);
            o.write(CliProtocol.banner());
            o.flush();
            long printed = 0;
            while (true) {
                CliMessage m = CliProtocol.read(in);
                switch (m) {
                    case CliMessage.Print p -> printed += p.text().length() + 1;
                    case CliMessage.Exit e -> {
                        if (e.code() != 0) throw new IOException("xe " + args.get(0) + " exited " + e.code());
                        return printed;
                    }
                    default -> {}
                }
            }
        }
    }
}
