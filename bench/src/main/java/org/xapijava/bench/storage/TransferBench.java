package org.xapijava.bench.storage;

import static org.xapijava.bench.Stats.loadAverage;
import static org.xapijava.bench.Stats.percentile;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.xapijava.bench.server.LaunchedHost;

/**
 * HTTP disk transfers (issue 14) against a host started by {@code scripts/xapi}: a disk of random data imported
 * into a VDI of the local {@code file} SR ({@code PUT /import_raw_vdi}) and exported from it ({@code GET
 * /export_raw_vdi}) as raw, VHD and tar, each beside the same data converted by {@code qemu-img} (raw to qcow2 for
 * imports, qcow2 to raw for exports) in the same run: what the transfer adds to moving the bytes in and out of the
 * SR's qcow2 (HTTP, the driver's FUSE datapath or the chain read directly, checksums), and exports beside {@code
 * cat} of the same bytes and beside the same bytes sent over loopback HTTP by {@code sendfile} ({@link
 * SendfileFloor}, what the socket and the client cost). Exports are timed as {@code curl -o /dev/null} reads them
 * (the way {@code cat} is timed: to /dev/null), then fetched again untimed to be checked or imported. Markdown on standard output, progress on standard error. Run by {@code scripts/bench-transfer}; options {@code --mib N} (1024) {@code --rounds N} (3).
 */
public final class TransferBench {
    private static final String FLOOR_OUT = "floor out: the same bytes sent by `sendfile` to `curl` over loopback";
    private static final String FLOOR_DATA = "floor: the disk's data sent by `sendfile` to `curl` over loopback";

    private TransferBench() {}

    public static void main(String[] args) throws Exception {
        int mib = 1024;
        int rounds = 3;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--mib" -> mib = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        PrintStream log = System.err;
        PrintStream out = System.out;
        Path root = Path.of(System.getProperty("bench.root", ".")).toAbsolutePath();
        Path scratch = Files.createTempDirectory("bench-transfer-");
        long size = (long) mib << 20;
        try (LaunchedHost host = LaunchedHost.xapi(root, Map.of(), List.of());
                SendfileFloor floor = new SendfileFloor();
                StorageFixture fx = new StorageFixture(host.address, host.password, host.dataDir())) {
            String base = "http://" + host.address.getHostString() + ":" + host.address.getPort();
            String s = "session_id=" + fx.session;
            Path data = scratch.resolve("data.img");
            byte[] block = new byte[1 << 20];
            Random random = new Random(1);
            try (var o = Files.newOutputStream(data)) {
                for (int i = 0; i < mib; i++) {
                    random.nextBytes(block);
                    o.write(block);
                }
            }
            out.printf(
                    Locale.ROOT,
                    "%d MiB of random data, %d rounds; %d cores; load average at start %s.%n%n",
                    mib,
                    rounds,
                    Runtime.getRuntime().availableProcessors(),
                    loadAverage());
            Map<String, List<Double>> seconds = new LinkedHashMap<>();
            HttpClient http = HttpClient.newHttpClient();
            for (int r = 0; r < rounds; r++) {
                log.println("round " + (r + 1));
                Path qcow = scratch.resolve("baseline.qcow2");
                time(seconds, "baseline in: `qemu-img convert` raw → qcow2", () -> qemu("raw", data, "qcow2", qcow));
                time(
                        seconds,
                        "baseline out: `qemu-img convert` qcow2 → raw",
                        () -> qemu("qcow2", qcow, "raw", scratch.resolve("baseline.raw")));
                Files.delete(qcow);
                Files.delete(scratch.resolve("baseline.raw"));
                time(
                        seconds,
                        "baseline out: `cat` of the same bytes",
                        () -> run("sh", "-c", "cat '" + data + "' > /dev/null"));
                String floorUrl = floor.url(data);
                time(seconds, FLOOR_OUT, () -> curl(floorUrl));
                String vdi = newVdi(fx, size);
                time(seconds, "import raw", () -> put(http, base, s + "&vdi=" + vdi, data));
                for (String f : List.of("raw", "vhd", "tar")) {
                    Path file = scratch.resolve("export." + f);
                    String query = s + "&vdi=" + vdi + "&format=" + f;
                    time(seconds, "export " + f, () -> curl(base + "/export_raw_vdi?" + query));
                    getPath(http, base, "/export_raw_vdi", query, file);
                    if (f.equals("raw")) {
                        if (Files.mismatch(file, data) != -1) throw new IllegalStateException("export differs");
                    } else {
                        String copy = newVdi(fx, size);
                        time(seconds, "import " + f, () -> put(http, base, s + "&vdi=" + copy + "&format=" + f, file));
                        fx.c.call("VDI.destroy", fx.session, copy);
                    }
                    Files.delete(file);
                }
                fx.c.call("VDI.destroy", fx.session, vdi);
            }
            Map<String, List<Double>> sparse = sparseVmExports(log, fx, floor, http, base, s, scratch, mib, rounds);
            double in = percentile(array(seconds.get("baseline in: `qemu-img convert` raw → qcow2")), 50);
            double outBase = percentile(array(seconds.get("baseline out: `qemu-img convert` qcow2 → raw")), 50);
            double catOut = percentile(array(seconds.get("baseline out: `cat` of the same bytes")), 50);
            double floorOut = percentile(array(seconds.get(FLOOR_OUT)), 50);
            out.println(
                    "| transfer | p50 s | MiB/s | baseline p50 ÷ p50 | `cat` p50 ÷ p50 (out) | floor p50 ÷ p50 (out) |");
            out.println("|---|---|---|---|---|---|");
            for (var e : seconds.entrySet()) {
                double p50 = percentile(array(e.getValue()), 50);
                boolean isIn = e.getKey().startsWith("import") || e.getKey().startsWith("baseline in");
                out.printf(
                        Locale.ROOT,
                        "| %s | %.2f | %.0f | %.2f× | %s | %s |%n",
                        e.getKey(),
                        p50,
                        mib / p50,
                        (isIn ? in : outBase) / p50,
                        isIn ? "" : String.format(Locale.ROOT, "%.2f×", catOut / p50),
                        isIn ? "" : String.format(Locale.ROOT, "%.2f×", floorOut / p50));
            }
            out.printf(
                    Locale.ROOT,
                    "%nA VM whose disk is %d MiB holding %d MiB of data (the rest never written), exported and imported;"
                            + " MiB/s of data; baselines on a file of the same bytes: `cat` to /dev/null (the floor),"
                            + " `tar` of it to /dev/null, `cp` of it for imports; the floor: its %d MiB of data sent by"
                            + " `sendfile` over loopback HTTP to `curl`.%n%n",
                    4L * mib,
                    mib,
                    mib);
            double cat = percentile(array(sparse.get("baseline: `cat` of the disk file")), 50);
            double cp = percentile(array(sparse.get("baseline: `cp` of the disk file")), 50);
            double fl = percentile(array(sparse.get(FLOOR_DATA)), 50);
            out.println("| transfer | p50 s | MiB/s of data | `cat` p50 ÷ p50 (export) / `cp` p50 ÷ p50 (import)"
                    + " | floor p50 ÷ p50 (export) |");
            out.println("|---|---|---|---|---|");
            for (var e : sparse.entrySet()) {
                double p50 = percentile(array(e.getValue()), 50);
                boolean isIn = e.getKey().startsWith("import") || e.getKey().contains("`cp`");
                out.printf(
                        Locale.ROOT,
                        "| %s | %.2f | %.0f | %.2f× | %s |%n",
                        e.getKey(),
                        p50,
                        mib / p50,
                        (isIn ? cp : cat) / p50,
                        isIn ? "" : String.format(Locale.ROOT, "%.2f×", fl / p50));
            }
            out.printf(Locale.ROOT, "%nLoad average at the end: %s.%n", loadAverage());
        } finally {
            try (var w = Files.walk(scratch)) {
                for (Path p : w.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    /**
     * A VM with one disk of {@code 4 × mib} MiB whose first {@code mib} MiB hold random data: exported raw, as XVA
     * (plain and zstd) and as VHD, the XVAs imported back; beside {@code cat}, {@code tar} and {@code cp} of a file
     * holding the same bytes (sparse where the disk was never written).
     */
    private static Map<String, List<Double>> sparseVmExports(
            PrintStream log,
            StorageFixture fx,
            SendfileFloor floor,
            HttpClient http,
            String base,
            String s,
            Path scratch,
            int mib,
            int rounds)
            throws Exception {
        long size = 4L * mib << 20;
        Path data = scratch.resolve("data.img");
        Path disk = scratch.resolve("disk.img");
        try (var ch = java.nio.channels.FileChannel.open(
                        disk, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
                var in = java.nio.channels.FileChannel.open(data)) {
            ch.transferFrom(in, 0, (long) mib << 20);
        }
        try (var raf = new java.io.RandomAccessFile(disk.toFile(), "rw")) {
            raf.setLength(size);
        }
        String vdi = newVdi(fx, size);
        put(http, base, s + "&vdi=" + vdi, data); // the first quarter written, the rest never
        String template =
                (String) ((List<?>) fx.c.call("VM.get_by_name_label", fx.session, "Other install media")).get(0);
        String vm = (String) fx.c.call("VM.clone", fx.session, template, "bench export");
        fx.c.call("VM.set_is_a_template", fx.session, vm, false);
        Map<String, Object> vbd = new LinkedHashMap<>();
        vbd.put("VM", vm);
        vbd.put("VDI", vdi);
        vbd.put("userdevice", "0");
        vbd.put("bootable", true);
        vbd.put("mode", "RW");
        vbd.put("type", "Disk");
        vbd.put("unpluggable", false);
        vbd.put("empty", false);
        vbd.put("other_config", Map.of());
        vbd.put("qos_algorithm_type", "");
        vbd.put("qos_algorithm_params", Map.of());
        fx.c.call("VBD.create", fx.session, vbd);
        Map<String, List<Double>> seconds = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            log.println("sparse round " + (r + 1));
            time(seconds, "baseline: `cat` of the disk file", () -> run("sh", "-c", "cat '" + disk + "' > /dev/null"));
            time(
                    seconds,
                    "baseline: `tar` of the disk file",
                    () -> run(
                            "sh",
                            "-c",
                            "tar -cf - -C '" + disk.getParent() + "' '" + disk.getFileName() + "' > /dev/null"));
            time(seconds, "baseline: `cp` of the disk file", () -> {
                run("cp", disk.toString(), scratch.resolve("copy.img").toString());
                Files.delete(scratch.resolve("copy.img"));
            });
            String floorUrl = floor.url(data);
            time(seconds, FLOOR_DATA, () -> curl(floorUrl));
            time(seconds, "export raw", () -> curl(base + "/export_raw_vdi?" + s + "&vdi=" + vdi));
            time(seconds, "export vhd", () -> curl(base + "/export_raw_vdi?" + s + "&vdi=" + vdi + "&format=vhd"));
            for (String z : List.of("none", "zstd")) {
                Path xva = scratch.resolve("vm-" + z + ".xva");
                String query = s + "&ref=" + vm + "&use_compression=" + z;
                time(seconds, "export XVA (" + z + ")", () -> curl(base + "/export?" + query));
                getPath(http, base, "/export", query, xva);
                time(seconds, "import XVA (" + z + ")", () -> {
                    HttpResponse<Void> a = http.send(
                            HttpRequest.newBuilder(URI.create(base + "/import?" + s))
                                    .PUT(HttpRequest.BodyPublishers.ofFile(xva))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding());
                    if (a.statusCode() != 200) throw new IllegalStateException("import answered " + a.statusCode());
                });
                Files.delete(xva);
            }
        }
        return seconds;
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (InputStream o = p.getInputStream()) {
            o.transferTo(java.io.OutputStream.nullOutputStream());
        }
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", command) + " failed");
    }

    /** {@code curl -sf -o /dev/null url}: an export read as a user reads it, and discarded as {@code cat}'s output. */
    private static void curl(String url) throws Exception {
        run("curl", "-sf", "-o", "/dev/null", url);
    }

    /** GETs {@code path}, the body into {@code file}. */
    private static void getPath(HttpClient http, String base, String path, String query, Path file) throws Exception {
        HttpRequest q = HttpRequest.newBuilder(URI.create(base + path + "?" + query))
                .GET()
                .build();
        HttpResponse<?> r = http.send(q, HttpResponse.BodyHandlers.ofFile(file));
        if (r.statusCode() != 200) throw new IllegalStateException(path + " answered " + r.statusCode());
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void time(Map<String, List<Double>> seconds, String name, Step step) throws Exception {
        long t0 = System.nanoTime();
        step.run();
        seconds.computeIfAbsent(name, k -> new ArrayList<>()).add((System.nanoTime() - t0) / 1e9);
    }

    private static double[] array(List<Double> l) {
        return l.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static String newVdi(StorageFixture fx, long size) throws IOException {
        return (String) fx.c.call("VDI.create", fx.session, StorageFixture.vdiRecord(fx.local.ref(), size, "bench"));
    }

    private static void put(HttpClient http, String base, String query, Path file) throws Exception {
        HttpResponse<Void> r = http.send(
                HttpRequest.newBuilder(URI.create(base + "/import_raw_vdi?" + query))
                        .PUT(HttpRequest.BodyPublishers.ofFile(file))
                        .build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() != 200) throw new IllegalStateException("import answered " + r.statusCode());
    }

    private static void qemu(String from, Path in, String to, Path out) throws Exception {
        Process p = new ProcessBuilder("qemu-img", "convert", "-f", from, "-O", to, in.toString(), out.toString())
                .redirectErrorStream(true)
                .start();
        try (InputStream o = p.getInputStream()) {
            o.transferTo(java.io.OutputStream.nullOutputStream());
        }
        if (p.waitFor() != 0) throw new IllegalStateException("qemu-img convert failed");
    }
}
