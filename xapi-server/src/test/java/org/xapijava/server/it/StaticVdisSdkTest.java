package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.APIVersion;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Session;
import com.xensource.xenapi.VDI;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;
import org.xapijava.server.storage.VdiData;

/**
 * {@code host.attach_static_vdis} / {@code host.detach_static_vdis} with the bundled {@code file} driver: the VDI's
 * configuration from {@code VDI.generate_config} is recorded in the static-vdis directory as Xapi's
 * {@code static-vdis} tool records it, and the driver attaches the disk from that configuration alone
 * ({@code vdi_attach_from_config}: attached and activated, no session); detach runs
 * {@code vdi_detach_from_config} and forgets the configuration. The calls are hidden from the SDK's bindings: they
 * go through its transport by name.
 */
class StaticVdisSdkTest {
    private static final long MIB = 1L << 20;
    private static final String DATA = "the redo log's metadata VDI";

    @TempDir
    Path dir;

    @Test
    void attachAndDetachFromConfig() throws Exception {
        try (TestHost host = TestHost.start(dir.resolve("host"))) {
            RawConnection c = new RawConnection(LifecycleSupport.url(host));
            Session.loginWithPassword(
                    c, "root", host.password(), APIVersion.latest().toString());
            Host me = Host.getAll(c).iterator().next();
            SR sr = fileSr(c);
            VDI vdi = VDI.create(c, LifecycleSupport.vdiRecord(sr, "metadata", 4 * MIB));
            VdiData.write(host.server, vdi.toWireString(), 0, DATA);
            Path statics = dir.resolve("host").resolve("static-vdis");

            // pool-internal: the master calls it with a pool session (session.slave_login with the pool secret)
            String pool = (String) c.call(
                    "session.slave_login",
                    me.toWireString(),
                    Files.readString(dir.resolve("host").resolve("ptoken")).strip());
            c.call("host.attach_static_vdis", pool, me.toWireString(), Map.of(vdi.toWireString(), "testing"));
            Path entry = statics.resolve("0");
            assertEquals(vdi.getUuid(c), Files.readString(entry.resolve("vdi-uuid")));
            assertEquals("testing", Files.readString(entry.resolve("reason")));
            assertTrue(Files.readString(entry.resolve("config")).contains("vdi_attach_from_config"));
            assertTrue(Files.readString(entry.resolve("driver")).endsWith("/FileSR"));
            Path disk = Files.readSymbolicLink(entry.resolve("disk"));
            byte[] head = new byte[DATA.length()];
            try (RandomAccessFile raf = new RandomAccessFile(disk.toFile(), "rw")) {
                raf.readFully(head);
                raf.seek(MIB);
                raf.write("written through the static attach".getBytes(StandardCharsets.US_ASCII));
                raf.getFD().sync();
            }
            assertEquals(DATA, new String(head, StandardCharsets.US_ASCII));

            // attached already: nothing more is recorded or run
            c.call("host.attach_static_vdis", pool, me.toWireString(), Map.of(vdi.toWireString(), "again"));
            assertEquals(List.of("0"), names(statics));
            assertEquals("testing", Files.readString(entry.resolve("reason")));

            c.call("host.detach_static_vdis", pool, me.toWireString(), new Object[] {vdi.toWireString()});
            assertEquals(List.of(), names(statics));
            assertFalse(Files.exists(disk), "the datapath is gone");
            assertEquals("written through the static attach", VdiData.read(host.server, vdi.toWireString(), MIB, 33));
            // nothing recorded: detach does nothing
            c.call("host.detach_static_vdis", pool, me.toWireString(), new Object[] {vdi.toWireString()});
            vdi.destroy(c);
        }
    }

    private static SR fileSr(Connection c) throws Exception {
        for (SR sr : SR.getAll(c)) if (sr.getType(c).equals("file")) return sr;
        throw new AssertionError("no file SR");
    }

    private static List<String> names(Path d) throws Exception {
        if (!Files.exists(d)) return List.of();
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
