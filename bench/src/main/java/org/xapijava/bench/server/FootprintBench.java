package org.xapijava.bench.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;

/**
 * The footprint of a running host (started by {@code scripts/bench-footprint} exactly as {@code scripts/xapi}
 * starts one, in its own process) under the load of issue 9: bursts of 200 clients logging in at once, each on
 * its own connection and keeping its session, then mutation fuzzing of both RPC doors (valid XML-RPC and
 * JSON-RPC calls with bytes flipped, inserted or cut, hostile strings, very long values, deep nesting, broken
 * HTTP framing) from several clients. Reads the host's resident size from {@code /proc/PID/status} (now and its
 * peak, {@code VmHWM}) and its heap from {@code jcmd}, checks that the host still answers, and prints a Markdown
 * report. Usage: {@code FootprintBench --url http://127.0.0.1:PORT --password PW --pid PID [--burst 200]
 * [--bursts 5] [--fuzz-seconds 60] [--fuzz-clients 16] [--seed N]}.
 */
public final class FootprintBench {
    private final InetSocketAddress address;
    private final String password;
    private final long pid;
    private final Map<String, String> opts;

    private FootprintBench(Map<String, String> opts) {
        URI u = URI.create(opts.get("url"));
        this.address = new InetSocketAddress(u.getHost(), u.getPort());
        this.password = opts.get("password");
        this.pid = Long.parseLong(opts.get("pid"));
        this.opts = opts;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new TreeMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        for (String k : List.of("url", "password", "pid")) {
            if (!o.containsKey(k)) {
                System.err.println("usage: FootprintBench --url URL --password PW --pid PID [--burst 200] [--bursts 5]"
                        + " [--fuzz-seconds 60] [--fuzz-clients 16] [--seed N]");
                System.exit(2);
            }
        }
        new FootprintBench(o).run();
    }

    private int opt(String k, int def) {
        return opts.containsKey(k) ? Integer.parseInt(opts.get(k)) : def;
    }

    private void run() throws Exception {
        long idle = rssKib("VmRSS");
        String session = login(new RawHttpConnection(address, 1 << 16));
        int burst = opt("burst", 200);
        int bursts = opt("bursts", 5);
        long t0 = System.nanoTime();
        for (int b = 0; b < bursts; b++) loginBurst(burst);
        double burstSeconds = (System.nanoTime() - t0) / 1e9;
        long afterBursts = rssKib("VmRSS");
        System.err.printf("login bursts done in %.1f s; fuzzing%n", burstSeconds);
        Fuzz fuzz = fuzz(session, opt("fuzz-clients", 16), opt("fuzz-seconds", 60), opt("seed", 42));
        // still answering, and with the same data
        RawHttpConnection c = new RawHttpConnection(address, 1 << 16);
        String again = login(c);
        RpcResponse r = call(c, "VM.get_all", again);
        if (!r.success()) throw new IllegalStateException("the host stopped answering: " + r.contents());
        long end = rssKib("VmRSS");
        long peak = rssKib("VmHWM");
        String heap = jcmd("GC.heap_info");

        System.out.println("| measure | value |");
        System.out.println("|---|---|");
        System.out.printf("| resident when idle | %d MiB |%n", idle / 1024);
        System.out.printf(
                "| resident after %d bursts of %d logins (%.1f s) | %d MiB |%n",
                bursts, burst, burstSeconds, afterBursts / 1024);
        System.out.printf(
                "| fuzz requests (%d clients, %d s) | %d, %s |%n",
                fuzz.clients, fuzz.seconds, fuzz.requests.get(), fuzz.statuses);
        System.out.printf("| connections the host closed | %d |%n", fuzz.closed.get());
        System.out.printf("| resident at the end | %d MiB |%n", end / 1024);
        System.out.printf("| peak resident (VmHWM) | %d MiB |%n", peak / 1024);
        System.out.println();
        System.out.println("heap at the end (jcmd GC.heap_info):");
        System.out.println(heap);
    }

    // ------------------------------------------------------------------ logins

    private void loginBurst(int n) throws Exception {
        List<RawHttpConnection> conns = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            RawHttpConnection c = new RawHttpConnection(address, 1 << 14);
            c.setReadTimeout(60_000);
            conns.add(c);
        }
        CountDownLatch go = new CountDownLatch(1);
        AtomicLong failures = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (RawHttpConnection c : conns) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    go.await();
                    login(c);
                } catch (Exception e) {
                    failures.incrementAndGet();
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) t.join();
        for (RawHttpConnection c : conns) c.close();
        if (failures.get() > 0) throw new IllegalStateException(failures.get() + " logins failed");
    }

    private String login(RawHttpConnection c) throws IOException {
        RpcResponse r = call(c, "session.login_with_password", "root", password, "1.0", "footprint");
        if (!r.success()) throw new IOException("login failed: " + r.contents());
        return (String) r.contents();
    }

    private static RpcResponse call(RawHttpConnection c, String method, Object... params) throws IOException {
        RawHttpConnection.Body b = RawHttpConnection.Body.keeping(1 << 16);
        int status = c.exchange(RawHttpConnection.post("/", "text/xml", XmlRpcWriter.call(method, List.of(params))), b);
        if (status != 200) throw new IOException("HTTP " + status);
        try {
            return XmlRpcReader.RESPONSES.readResponse(b.bytes());
        } catch (Exception e) {
            throw new IOException("response does not parse: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ fuzzing

    private record Fuzz(
            int clients, int seconds, AtomicLong requests, AtomicLong closed, Map<Integer, AtomicLong> statuses) {}

    private static final String[] HOSTILE = {
        "\u0000",
        "\u0001",
        "\ud800",
        "\udfff",
        "\ufffe",
        "\uffff",
        "\ufdd0",
        "\ud83f\udffe",
        "<",
        "&",
        "]]>",
        "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>",
        "&a;",
        "&#0;",
        "&#xFFFF;",
        "\"",
        "\\u0000",
        "\\ud800",
        "NaN",
        "1e999",
        "99999999999999999999999",
        "-0",
        "OpaqueRef:NULL",
        "",
        "null",
        "{",
        "[",
        "}",
        "]",
        "</value>"
    };

    private Fuzz fuzz(String session, int clients, int seconds, long seed) throws Exception {
        List<byte[][]> seeds = seedRequests(session);
        Fuzz f = new Fuzz(clients, seconds, new AtomicLong(), new AtomicLong(), new ConcurrentHashMap<>());
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Random rnd = new Random(seed + i);
            threads.add(Thread.ofPlatform().start(() -> {
                RawHttpConnection c = null;
                while (System.nanoTime() < deadline) {
                    try {
                        if (c == null || !c.isOpen()) {
                            c = new RawHttpConnection(address, 1 << 16);
                            // a request whose length lies waits for bytes that never come, until the host's timeout
                            c.setReadTimeout(5_000);
                        }
                        byte[][] s = seeds.get(rnd.nextInt(seeds.size()));
                        byte[] body = mutate(rnd, s[1]);
                        byte[] req = rnd.nextInt(50) == 0
                                ? brokenFraming(rnd, new String(s[0]), body)
                                : RawHttpConnection.post(
                                        new String(s[0], StandardCharsets.US_ASCII),
                                        s[2].length == 0 ? "text/xml" : "application/json",
                                        body);
                        RawHttpConnection.Body b = RawHttpConnection.Body.counting();
                        int status = c.exchange(req, b);
                        f.requests().incrementAndGet();
                        f.statuses()
                                .computeIfAbsent(status, k -> new AtomicLong())
                                .incrementAndGet();
                        if (!c.isOpen()) f.closed().incrementAndGet();
                    } catch (IOException e) {
                        f.requests().incrementAndGet();
                        f.closed().incrementAndGet();
                        closeQuietly(c);
                        c = null;
                    }
                }
                closeQuietly(c);
            }));
        }
        for (Thread t : threads) t.join();
        return f;
    }

    /** Valid calls on both doors: {path, body, json marker (empty for XML-RPC)}. */
    private List<byte[][]> seedRequests(String session) throws IOException {
        RawHttpConnection c = new RawHttpConnection(address, 1 << 20);
        RpcResponse vms = call(c, "VM.get_all", session);
        @SuppressWarnings("unchecked")
        String vm = ((List<String>) vms.contents()).get(0);
        c.close();
        List<Object[]> calls = List.of(
                new Object[] {"VM.get_record", List.of(session, vm)},
                new Object[] {"VM.get_all_records", List.of(session)},
                new Object[] {"VM.set_name_description", List.of(session, vm, "fuzzed")},
                new Object[] {"VM.set_other_config", List.of(session, vm, Map.of("k", "v", "key2", "value2"))},
                new Object[] {"VM.add_tags", List.of(session, vm, "tag")},
                new Object[] {"event.from", List.of(session, List.of("VM"), "", 0.0)},
                new Object[] {
                    "message.create", List.of(session, "name", 3L, "VM", "00000000-0000-0000-0000-000000000000", "body")
                },
                new Object[] {"session.login_with_password", List.of("root", password, "1.0", "fuzz")},
                new Object[] {"pool.get_all_records", List.of(session)});
        List<byte[][]> out = new ArrayList<>();
        for (Object[] call : calls) {
            @SuppressWarnings("unchecked")
            List<Object> params = (List<Object>) call[1];
            out.add(new byte[][] {
                "/".getBytes(StandardCharsets.US_ASCII), XmlRpcWriter.call((String) call[0], params), new byte[0]
            });
            out.add(new byte[][] {
                "/jsonrpc".getBytes(StandardCharsets.US_ASCII),
                json((String) call[0], params).getBytes(StandardCharsets.UTF_8),
                new byte[] {1}
            });
        }
        return out;
    }

    private static String json(String method, List<Object> params) {
        return "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":"
                + org.xapijava.model.jsonrpc.JsonRpcCodec.toJson(params) + "}";
    }

    private static byte[] mutate(Random rnd, byte[] body) {
        byte[] b = body.clone();
        switch (rnd.nextInt(8)) {
            case 0 -> {
                return b; // valid
            }
            case 1 -> {
                for (int i = 1 + rnd.nextInt(4); i > 0; i--) b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                return b;
            }
            case 2 -> {
                return Arrays.copyOf(b, rnd.nextInt(b.length));
            }
            case 3 -> {
                int at = rnd.nextInt(b.length);
                byte[] ins = HOSTILE[rnd.nextInt(HOSTILE.length)].getBytes(StandardCharsets.UTF_8);
                return splice(b, at, ins);
            }
            case 4 -> {
                // a long value where a string was: up to about the body limit
                String s = new String(b, StandardCharsets.UTF_8);
                int at = s.indexOf("fuzzed");
                if (at < 0) at = s.indexOf("name");
                if (at < 0) return b;
                return splice(
                        b,
                        s.substring(0, at).getBytes(StandardCharsets.UTF_8).length,
                        "x".repeat(rnd.nextInt(300_000)).getBytes(StandardCharsets.UTF_8));
            }
            case 5 -> {
                // deep nesting
                int n = 1 + rnd.nextInt(20_000);
                boolean jsonDoor = b.length > 0 && b[0] == '{';
                String open = jsonDoor ? "[" : "<value><array><data>";
                String close = jsonDoor ? "]" : "</data></array></value>";
                return splice(b, b.length / 2, (open.repeat(n) + close.repeat(n)).getBytes(StandardCharsets.UTF_8));
            }
            case 6 -> {
                byte[] r = new byte[rnd.nextInt(4096)];
                rnd.nextBytes(r);
                return r;
            }
            default -> {
                int at = rnd.nextInt(b.length);
                return splice(b, at, Arrays.copyOfRange(b, rnd.nextInt(b.length), b.length));
            }
        }
    }

    private static byte[] splice(byte[] b, int at, byte[] ins) {
        byte[] r = new byte[b.length + ins.length];
        System.arraycopy(b, 0, r, 0, at);
        System.arraycopy(ins, 0, r, at, ins.length);
        System.arraycopy(b, at, r, at + ins.length, b.length - at);
        return r;
    }

    /** A request whose HTTP framing lies: wrong length, no length, or garbage headers (the host closes). */
    private static byte[] brokenFraming(Random rnd, String path, byte[] body) {
        String head = switch (rnd.nextInt(3)) {
            case 0 ->
                "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + (body.length + 1 + rnd.nextInt(100))
                        + "\r\nConnection: close\r\n\r\n";
            case 1 -> "POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
            default ->
                "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + "X: " + "y".repeat(rnd.nextInt(20_000))
                        + "\r\nContent-Length: " + body.length + "\r\n\r\n";
        };
        return splice(head.getBytes(StandardCharsets.ISO_8859_1), head.length(), body);
    }

    private static void closeQuietly(RawHttpConnection c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException ignored) {
            // the host closed it first
        }
    }

    // ------------------------------------------------------------------ the host's process

    private long rssKib(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new IOException(field + " not in /proc/" + pid + "/status");
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(java.toString(), Long.toString(pid), command)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out.strip();
    }
}
