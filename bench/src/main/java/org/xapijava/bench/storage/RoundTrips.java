package org.xapijava.bench.storage;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.xapijava.storage.smapiv1.Smapiv1Call;
import org.xapijava.storage.smapiv1.Smapiv1Executor;

/**
 * Item 1: SMAPIv1 round trips through {@link Smapiv1Executor} (exec, the driver's callbacks into xapi, the reply),
 * run in the benchmark's JVM with the host's installed drivers ({@code <data-dir>/sm}) and the host's Unix socket
 * for the callbacks, so the callbacks are served by the launched host exactly as its own calls' are. The driver's
 * session is a root session given {@code other_config:_sm_session = <SR>}, the key xapi's {@code __sm__backend}
 * sessions carry (the SM-only calls such as {@code VDI.db_introduce} accept no other). Baselines, in the same run:
 * a {@code #!/bin/sh} driver and a {@code python3} driver that print a fixed {@code methodResponse} (the floors:
 * exec alone, and exec plus Python start-up). Cases run interleaved, one of each per round, so a change of machine
 * load touches them alike.
 */
final class RoundTrips {
    static final String RESPONSE = "<?xml version=\"1.0\"?>\n<methodResponse><params><param><value><string>ok"
            + "</string></value></param></params></methodResponse>\n";

    /** One measured case: name, driver, command, callbacks, latencies in ms. */
    record Case(String name, String what, double[] ms) {}

    private final Smapiv1Executor executor;
    private final Path floorSh;
    private final Path floorPy;
    private final Path floorPyS;
    private final StorageFixture fx;

    RoundTrips(StorageFixture fx, Path scratch) throws IOException {
        this.fx = fx;
        this.executor = new Smapiv1Executor(Smapiv1Executor.Config.defaults(fx.xapiSocket()));
        this.floorSh = script(scratch.resolve("FloorShSR"), "#!/bin/sh\nprintf '%s' '" + RESPONSE + "'\n");
        this.floorPy = script(
                scratch.resolve("FloorPySR"),
                "#!/usr/bin/env python3\nimport sys\nsys.stdout.write(" + pyString(RESPONSE) + ")\n");
        this.floorPyS = script(
                scratch.resolve("FloorPySSR"),
                "#!/usr/bin/python3 -S\nimport sys\nsys.stdout.write(" + pyString(RESPONSE) + ")\n");
    }

    private static String pyString(String s) {
        return "'" + s.replace("\n", "\\n") + "'";
    }

    private static Path script(Path p, String text) throws IOException {
        Files.writeString(p, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    /** The shell floor once (any command: it answers the same). */
    Object floorSh() {
        return executor.exec(
                floorSh,
                Smapiv1Call.builder(fx.hostRef, "sr_get_driver_info", List.of()).build());
    }

    /** The Python floor once. */
    Object floorPy() {
        return executor.exec(
                floorPy,
                Smapiv1Call.builder(fx.hostRef, "sr_get_driver_info", List.of()).build());
    }

    /** {@code rounds} interleaved rounds (after {@code warmup} unmeasured ones) of every case. */
    List<Case> measure(int warmup, int rounds, PrintStream log) throws Exception {
        Map<String, String> what = new LinkedHashMap<>();
        Map<String, Callable<Double>> cases = new LinkedHashMap<>();
        cases.put("floor: `#!/bin/sh` printf", () -> timed(this::floorSh));
        what.put("floor: `#!/bin/sh` printf", "exec only");
        cases.put("floor: `python3` print", () -> timed(this::floorPy));
        what.put("floor: `python3` print", "exec + Python start-up");
        cases.put(
                "floor: `python3 -S` print (the drivers' shebang)",
                () -> timed(() -> executor.exec(
                        floorPyS,
                        Smapiv1Call.builder(fx.hostRef, "sr_get_driver_info", List.of())
                                .build())));
        what.put("floor: `python3 -S` print (the drivers' shebang)", "exec + Python start-up without `site`");
        for (StorageFixture.Sr sr : List.of(fx.dummy, fx.local)) {
            String d = sr.driver().getFileName().toString();
            cases.put(
                    d + " sr_get_driver_info",
                    () -> timed(() -> executor.exec(sr.driver(), sr.call("sr_get_driver_info"))));
            what.put(d + " sr_get_driver_info", "driver start-up, no callback");
            List<String> created = new ArrayList<>();
            cases.put(d + " vdi_create (1 GiB)", () -> {
                long t0 = System.nanoTime();
                String uuid = createVdi(sr);
                double t = (System.nanoTime() - t0) / 1e6;
                created.add(uuid);
                return t;
            });
            what.put(d + " vdi_create (1 GiB)", "`VDI.db_introduce`");
            cases.put(d + " vdi_delete", () -> deleteVdi(sr, created.removeLast()));
            what.put(d + " vdi_delete", "`VDI.db_forget`");
            cases.put(d + " sr_scan", () -> timed(() -> executor.exec(sr.driver(), sr.call("sr_scan"))));
            what.put(
                    d + " sr_scan",
                    "`VDI.get_all_records_where`, SR totals (3 setters)"
                            + (sr == fx.local ? ", per-VDI setters where they differ" : ""));
        }
        Map<String, double[]> ms = new LinkedHashMap<>();
        for (String k : cases.keySet()) ms.put(k, new double[rounds]);
        for (int r = -warmup; r < rounds; r++) {
            for (Map.Entry<String, Callable<Double>> e : cases.entrySet()) {
                double t = e.getValue().call();
                if (r >= 0) ms.get(e.getKey())[r] = t;
            }
            if (r >= 0 && r % 10 == 9) log.printf(Locale.ROOT, "round trips: %d/%d rounds%n", r + 1, rounds);
        }
        List<Case> out = new ArrayList<>();
        for (String k : cases.keySet()) out.add(new Case(k, what.get(k), ms.get(k)));
        return out;
    }

    /** {@code vdi_create} of a 1 GiB VDI straight to the driver; returns the new VDI's uuid. */
    @SuppressWarnings("unchecked")
    String createVdi(StorageFixture.Sr sr) {
        Object r = executor.exec(
                sr.driver(),
                sr.builder(
                                "vdi_create",
                                List.of(
                                        Long.toString(1L << 30),
                                        "rt",
                                        "",
                                        "",
                                        "false",
                                        "19700101T00:00:00Z",
                                        "",
                                        "false"))
                        .vdiType("user")
                        .vdiSmConfig(Map.of())
                        .build());
        return (String) ((Map<String, Object>) r).get("uuid");
    }

    /** The case named {@code name}. */
    static Case find(List<Case> cases, String name) {
        return cases.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    private static double timed(Callable<?> c) throws Exception {
        long t0 = System.nanoTime();
        c.call();
        return (System.nanoTime() - t0) / 1e6;
    }

    /**
     * {@code vdi_delete} straight to the driver of the VDI {@code uuid} made by {@link #createVdi}; returns the ms
     * of the exec alone (the lookup of the VDI's ref before it is not counted).
     */
    double deleteVdi(StorageFixture.Sr sr, String uuid) throws Exception {
        String ref = fx.vdiRef(uuid);
        String location = fx.vdiLocation(ref);
        return timed(() -> executor.exec(
                sr.driver(),
                sr.builder("vdi_delete", List.of())
                        .vdi(ref, location, uuid, "persist", false)
                        .build()));
    }
}
