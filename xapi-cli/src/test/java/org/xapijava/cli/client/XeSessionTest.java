package org.xapijava.cli.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.cli.client.XeTestSupport.hex;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.cli.protocol.CliMessage;
import org.xapijava.cli.protocol.CliProtocol;

/** The request, the handshake and the message loop against a scripted server (CLI reference §1, §2.7). */
class XeSessionTest {
    @TempDir
    Path dir;

    private XeTestSupport xe() {
        return new XeTestSupport(dir);
    }

    @Test
    void vmListMinimalOverTheUnixSocketIsTheReferenceExchange() throws Exception {
        XeTestSupport xe = xe();
        try (FakeCliServer s = FakeCliServer.unix(dir, p -> {
            p.handshake();
            p.raw(hex("11000000 09000000 00000000 05000000 75312c7532"));
            p.raw(hex("0c000000 09000000 04000000 00000000"));
        })) {
            xe.env.put("XE_UNIX_SOCKET", s.socketPath.toString());
            XeTestSupport.Result r = xe.run("vm-list", "--minimal");
            assertEquals(
                    "POST /cli HTTP/1.0\r\nUser-agent: xe-cli/Unix/0.2\r\noriginator: cli\r\ncontent-length: 45\r\n\r\n"
                            + "vm-list\n--minimal\nusername=root\npassword=null",
                    s.request());
            s.awaitDone();
            assertEquals(0, r.code());
            assertEquals("u1,u2\n", r.out());
            assertEquals("", r.err());
        }
    }

    @Test
    void tcpFallbackWhenTheUnixSocketIsMissingAndTheExitCodeIsTheServers() throws Exception {
        XeTestSupport xe = xe();
        try (FakeCliServer s = FakeCliServer.tcp(p -> p.handshake()
                .send(new CliMessage.PrintStderr("warn "))
                .send(new CliMessage.PrintStderr("more\n"))
                .send(new CliMessage.Print("é"))
                .send(new CliMessage.Exit(3)))) {
            XeTestSupport.Result r = xe.run("-p", String.valueOf(s.port()), "host-list");
            s.awaitDone();
            assertEquals(3, r.code());
            assertEquals("é\n", r.out());
            assertEquals("warn more\n", r.err());
            assertTrue(s.request().endsWith("\r\n\r\nhost-list\nusername=root\npassword=null"));
        }
    }

    @Test
    void errorIsPrintedAsCodeAndParameters() throws Exception {
        try (FakeCliServer s = FakeCliServer.tcp(p -> p.handshake()
                .send(new CliMessage.Error("UUID_INVALID", List.of("VM", "x")))
                .send(new CliMessage.Error("another", List.of()))
                .send(new CliMessage.Exit(1)))) {
            XeTestSupport.Result r = xe().run("port=" + s.port(), "vm-start", "uuid=x");
            assertEquals(1, r.code());
            assertEquals(
                    "Error code: UUID_INVALID\nError parameters: VM, x\nError code: another\nError parameters: \n",
                    r.err());
        }
    }

    @Test
    void loadSendsAPermittedFileAndRefusesAnyOther() throws Exception {
        Path f = dir.resolve("lic.txt");
        Files.writeString(f, "LICENSE DATA");
        byte[][] got = new byte[1][];
        try (FakeCliServer s = FakeCliServer.tcp(p -> {
            p.handshake().send(new CliMessage.Load("lic.txt"));
            if (p.read() != CliMessage.Response.OK) throw new IOException("expected OK");
            got[0] = p.blob();
            p.send(new CliMessage.Exit(0));
        })) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "host-license-add", "license-file=./lic.txt");
            s.awaitDone();
            assertEquals(0, r.code(), r.err());
            assertEquals("LICENSE DATA", new String(got[0], StandardCharsets.UTF_8));
        }
        try (FakeCliServer s = FakeCliServer.tcp(p -> {
            p.handshake().send(new CliMessage.Load(f.toString()));
            assertEquals(-1, p.in.read()); // the client went away without answering
        })) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "host-license-add", "license-file=other");
            s.awaitDone();
            assertEquals(1, r.code());
            assertEquals(
                    "File not permitted: Blocked upload/download of the file " + f
                            + ", which was requested by the server. The file name was not present on the command"
                            + " line\n.\n",
                    r.err());
        }
    }

    @Test
    void loadOfAnUnreadableFileAnswersFailed() throws Exception {
        CliMessage[] got = new CliMessage[1];
        try (FakeCliServer s = FakeCliServer.tcp(p -> {
            p.handshake().send(new CliMessage.Load("missing.pem"));
            got[0] = p.read();
            p.send(new CliMessage.Exit(1));
        })) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "pool-certificate-install", "filename=missing.pem");
            s.awaitDone();
            assertEquals(1, r.code());
            assertEquals(CliMessage.Response.FAILED, got[0]);
        }
    }

    @Test
    void promptAnswersOneLineAsABlobWithoutAResponse() throws Exception {
        byte[][] got = new byte[1][];
        try (FakeCliServer s = FakeCliServer.tcp(p -> {
            p.handshake().send(new CliMessage.Prompt());
            got[0] = p.in.readNBytes(4 + 12 + 3 + 4 + 8);
            p.send(new CliMessage.Exit(0));
        })) {
            XeTestSupport xe = xe();
            xe.stdin("yes\nno\n");
            XeTestSupport.Result r = xe.run("-p", "" + s.port(), "pool-eject", "host-uuid=h");
            s.awaitDone();
            assertEquals(0, r.code());
            assertArrayEquals(hex("0c000000 0b000000 07000000 03000000 796573 08000000 0b000000 08000000"), got[0]);
        }
        try (FakeCliServer s = FakeCliServer.tcp(p -> p.handshake().send(new CliMessage.Prompt()))) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "pool-eject");
            assertEquals(1, r.code());
            assertEquals("Lost connection to the server.\n", r.err());
        }
    }

    @Test
    void anHttpReplyIsAServerInternalError() throws Exception {
        try (FakeCliServer s = FakeCliServer.tcp(
                p -> p.raw("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".getBytes(StandardCharsets.UTF_8)))) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "vm-list");
            assertEquals(1, r.code());
            assertEquals("Server internal error.\n", r.err());
        }
        // after the handshake too
        try (FakeCliServer s = FakeCliServer.tcp(
                p -> p.handshake().raw("http/1.0 500 Oops\r\n\r\n".getBytes(StandardCharsets.UTF_8)))) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "vm-list");
            assertEquals(1, r.code());
            assertEquals("Server internal error.\n", r.err());
        }
    }

    @Test
    void garbageIsNotAManagementAgent() throws Exception {
        try (FakeCliServer s = FakeCliServer.tcp(p ->
                p.raw("SSH-2.0-OpenSSH_9.6 something longer than the prefix\r\n".getBytes(StandardCharsets.UTF_8)))) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "vm-list");
            assertEquals(1, r.code());
            assertEquals(
                    "Failed to contact a running management agent.\nTry specifying a server name and port.\n"
                            + Xe.usage("xe"),
                    r.err());
        }
    }

    @Test
    void noReplyAtAllIsUnableToContact() throws Exception {
        try (FakeCliServer s = FakeCliServer.tcp(p -> {})) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "vm-list");
            assertEquals(1, r.code());
            assertEquals("Unable to contact server. Please check server and port settings.\n", r.err());
        }
    }

    @Test
    void theConnectionLostMidSessionOrMidBanner() throws Exception {
        try (FakeCliServer s = FakeCliServer.tcp(p -> p.handshake().send(new CliMessage.Print("partial")))) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "vm-list");
            assertEquals(1, r.code());
            assertEquals("partial\n", r.out());
            assertEquals("Lost connection to the server.\n", r.err());
        }
        try (FakeCliServer s = FakeCliServer.tcp(p -> p.raw("XenSource thin".getBytes(StandardCharsets.UTF_8)))) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "vm-list");
            assertEquals(1, r.code());
            assertEquals("Lost connection to the server.\n", r.err());
        }
        // a frame cut short
        try (FakeCliServer s = FakeCliServer.tcp(p -> p.handshake().raw(hex("17000000 09000000 00000000")))) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "vm-list");
            assertEquals("Lost connection to the server.\n", r.err());
        }
    }

    @Test
    void aMajorVersionMismatchStopsBeforeTheClientsBanner() throws Exception {
        try (FakeCliServer s = FakeCliServer.tcp(p -> {
            p.raw(CliProtocol.PREFIX).raw(hex("01000000 00000000"));
            assertEquals(-1, p.in.read());
        })) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "vm-list");
            s.awaitDone();
            assertEquals(1, r.code());
            assertEquals(
                    "Protocol version mismatch: Server has protocol version 1.0. Client has 0.2.\n"
                            + "Try specifying a server name and port on the command-line.\n" + Xe.usage("xe"),
                    r.err());
        }
    }

    @Test
    void aResponseFromTheServerIsUnexpected() throws Exception {
        try (FakeCliServer s = FakeCliServer.tcp(p -> p.handshake().send(CliMessage.Response.OK))) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "vm-list");
            assertEquals(1, r.code());
            assertEquals("Unexpected message from server: Response OK\n", r.err());
        }
    }

    @Test
    void anUnknownTagIsAnUnhandledException() throws Exception {
        try (FakeCliServer s = FakeCliServer.tcp(p -> p.handshake().raw(hex("08000000 09000000 63000000")))) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "vm-list");
            assertEquals(1, r.code());
            assertTrue(r.err().startsWith("Unhandled exception\n"), r.err());
        }
    }

    @Test
    void connectionRefusedAndUnknownHost() throws Exception {
        int port;
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = ss.getLocalPort();
        }
        XeTestSupport.Result r = xe().run("-p", "" + port, "vm-list");
        assertEquals(1, r.code());
        assertEquals("Error: Connection refused (calling connect )\n", r.err());
        r = xe().run("-s", "no-such-host.invalid", "--nossl", "vm-list");
        assertEquals(1, r.code());
        assertEquals("Host 'no-such-host.invalid' not found.\n", r.err());
    }

    @Test
    void debugOnFailShowsTheDebugTextOnlyOnFailure() throws Exception {
        try (FakeCliServer s = FakeCliServer.tcp(
                p -> p.handshake().send(new CliMessage.Debug("hello")).send(new CliMessage.Exit(0)))) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "--debug-on-fail", "vm-list");
            assertEquals(0, r.code());
            assertEquals("", r.err());
        }
        try (FakeCliServer s = FakeCliServer.tcp(
                p -> p.handshake().send(new CliMessage.Debug("hello")).send(new CliMessage.Exit(2)))) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "debugonfail=true", "vm-list");
            assertEquals(2, r.code());
            assertTrue(r.err().startsWith("\nDebug info:\n\n"), r.err());
            assertTrue(r.err().contains("Server has protocol version 0.2. Client has 0.2\n"), r.err());
            assertTrue(r.err().contains("debug from server: hello\n"), r.err());
        }
        try (FakeCliServer s = FakeCliServer.tcp(
                p -> p.handshake().send(new CliMessage.Debug("now")).send(new CliMessage.Exit(0)))) {
            XeTestSupport.Result r = xe().run("-p", "" + s.port(), "--debug", "vm-list");
            assertEquals(0, r.code());
            assertTrue(r.err().contains("Read: Command Debug now\ndebug from server: now\n"), r.err());
        }
    }

    @Test
    void aClosedStdoutEndsTheClientQuietly() throws Exception {
        try (FakeCliServer s = FakeCliServer.tcp(p -> p.handshake()
                .send(new CliMessage.Print("line 1"))
                .send(new CliMessage.Print("line 2"))
                .send(new CliMessage.Exit(0)))) {
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            java.io.PrintStream brokenPipe = new java.io.PrintStream(new java.io.OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    throw new IOException("Broken pipe");
                }
            });
            int code = Xe.run(
                    new String[] {"-p", "" + s.port(), "vm-list"},
                    java.util.Map.of("XE_UNIX_SOCKET", dir.resolve("none").toString()),
                    dir,
                    new Stdio(
                            java.io.InputStream.nullInputStream(),
                            brokenPipe,
                            new java.io.PrintStream(err),
                            dir.toString(),
                            false),
                    Xe.HEARTBEAT_MILLIS,
                    "xe");
            assertEquals(1, code);
            assertEquals("", err.toString());
        }
    }
}
