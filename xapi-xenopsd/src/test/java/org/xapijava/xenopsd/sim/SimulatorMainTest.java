package org.xapijava.xenopsd.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.xenopsd.XenopsClient;
import org.xapijava.xenopsd.internal.HttpClientConnection;
import org.xapijava.xenopsd.internal.Wire;

/** The daemon's command line, ready line, and stop on DEBUG.shutdown. */
class SimulatorMainTest {

    @TempDir
    Path dir;

    @Test
    void parsesOptions() {
        SimulatorMain.Options o = SimulatorMain.parse(new String[] {
            "--socket",
            "/x/s",
            "--state-dir=/x/d",
            "--total-memory-mib",
            "2048",
            "--workers",
            "3",
            "--delay-ms",
            "VM_build=200,VBD_plug=5"
        });
        assertEquals(Path.of("/x/s"), o.socket());
        assertEquals(Path.of("/x/d"), o.stateDir());
        assertEquals(2048, o.totalMemoryMib());
        assertEquals(3, o.workers());
        assertEquals(Map.of("VM_build", 200L, "VBD_plug", 5L), o.delays());
        assertEquals(
                Simulator.DEFAULT_TOTAL_MEMORY_MIB,
                SimulatorMain.parse(new String[0]).totalMemoryMib());
        assertThrows(
                IllegalArgumentException.class, () -> SimulatorMain.parse(new String[] {"--delay-ms", "VM_fly=3"}));
        assertThrows(IllegalArgumentException.class, () -> SimulatorMain.parse(new String[] {"--workers"}));
        assertThrows(IllegalArgumentException.class, () -> SimulatorMain.parse(new String[] {"--bogus", "1"}));
    }

    @Test
    void printsReadyAndStopsOnDebugShutdown() throws Exception {
        Path sock = dir.resolve("xenopsd");
        CompletableFuture<String> ready = new CompletableFuture<>();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(
                new OutputStream() {
                    @Override
                    public synchronized void write(int b) {
                        all.write(b);
                        String s = all.toString(StandardCharsets.UTF_8);
                        if (s.contains("\n")) ready.complete(s.trim());
                    }
                },
                true,
                StandardCharsets.UTF_8);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> SimulatorMain.run(
                new String[] {
                    "--socket",
                    sock.toString(),
                    "--state-dir",
                    dir.resolve("state").toString()
                },
                out,
                System.err));
        assertEquals("xenopsd-simulator ready: " + sock, ready.get(20, TimeUnit.SECONDS));
        try (XenopsClient c = new XenopsClient(sock)) {
            assertEquals("xenops", c.query("t").name());
        }
        try (HttpClientConnection h = HttpClientConnection.connect(sock, TimeUnit.SECONDS.toNanos(5))) {
            byte[] call = Wire.encodeCall("DEBUG.shutdown", "t", List.of(Wire.Arg.unit()));
            RpcResponse r = Wire.decodeResponse(h.post("/", call, "test").body());
            assertTrue(r.success(), String.valueOf(r.contents()));
        }
        assertEquals(0, exit.get(20, TimeUnit.SECONDS));
        assertFalse(Files.exists(sock), "socket removed");
    }
}
