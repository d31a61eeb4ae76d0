package org.xapijava.cli.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.cli.protocol.CliMessage;

/** HttpGet, HttpPut and HttpConnect against a raw HTTP server (CLI reference §1.7.2–1.7.4). */
class XeTransferTest {
    @TempDir
    Path dir;

    private static final byte[] DATA = new byte[200_000];

    static {
        new Random(42).nextBytes(DATA);
    }

    /** Reads responses up to the first that is not Wait; returns them all. */
    private static List<CliMessage> responses(FakeCliServer.Peer p) throws IOException {
        List<CliMessage> got = new ArrayList<>();
        CliMessage m;
        do {
            m = p.read();
            got.add(m);
        } while (m == CliMessage.Response.WAIT);
        return got;
    }

    @Test
    void httpGetFollowsARedirectAndWritesANewPrivateFile() throws Exception {
        try (MiniHttpServer http = new MiniHttpServer(x -> {
            if (x.requestLine().startsWith("GET /export?")) {
                x.respond("HTTP/1.1 302 Found\r\nLocation: /real%20export\r\nX-Other: y\r\n\r\n");
            } else {
                x.respond("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n");
                x.out().write(DATA);
            }
        })) {
            List<CliMessage> got = new ArrayList<>();
            // the CLI connection goes through the Unix socket; the download goes to 127.0.0.1 on -p
            try (FakeCliServer s = FakeCliServer.unix(dir, p -> {
                p.handshake().send(new CliMessage.HttpGet("vm.xva", "/export?session_id=S&uuid=u"));
                got.addAll(responses(p));
                p.send(new CliMessage.Print("Export succeeded")).send(new CliMessage.Exit(0));
            })) {
                XeTestSupport xe = new XeTestSupport(dir);
                xe.env.put("XE_UNIX_SOCKET", s.socketPath.toString());
                XeTestSupport.Result r = xe.run("-p", "" + http.port(), "vm-export", "filename=vm.xva", "vm=x");
                s.awaitDone();
                assertEquals(0, r.code(), r.err());
                assertEquals("Export succeeded\n", r.out());
                assertEquals(List.of(CliMessage.Response.OK), got);
                assertArrayEquals(DATA, Files.readAllBytes(dir.resolve("vm.xva")));
                assertEquals(
                        "rw-------",
                        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("vm.xva"))));
                assertEquals("GET /export?session_id=S&uuid=u HTTP/1.0\r\n\r\n", http.heads.get(0));
                assertEquals("GET /real%20export HTTP/1.0\r\n\r\n", http.heads.get(1));
            }
        }
    }

    /** A fake CLI server on the Unix socket and the client's -p on the HTTP server. */
    private XeTestSupport.Result runUnix(MiniHttpServer http, FakeCliServer.Script script, String... args)
            throws Exception {
        try (FakeCliServer s = FakeCliServer.unix(dir, script)) {
            XeTestSupport xe = new XeTestSupport(dir);
            xe.env.put("XE_UNIX_SOCKET", s.socketPath.toString());
            return runWith(xe, s, http, args);
        }
    }

    private static XeTestSupport.Result runWith(XeTestSupport xe, FakeCliServer s, MiniHttpServer http, String... args)
            throws Exception {
        String[] all = new String[args.length + 2];
        all[0] = "-p";
        all[1] = String.valueOf(http.port());
        System.arraycopy(args, 0, all, 2, args.length);
        XeTestSupport.Result r = xe.run(all);
        s.awaitDone();
        return r;
    }

    @Test
    void httpGetNon200AnswersFailedAndAnExistingFileIsAnOperationFailure() throws Exception {
        List<CliMessage> got = new ArrayList<>();
        try (MiniHttpServer http = new MiniHttpServer(x -> x.respond("HTTP/1.1 500 Internal Error\r\n\r\n"))) {
            XeTestSupport.Result r = runUnix(
                    http,
                    p -> {
                        p.handshake().send(new CliMessage.HttpGet("out.xva", "/export?x"));
                        got.addAll(responses(p));
                        p.send(new CliMessage.Exit(1));
                    },
                    "vm-export",
                    "filename=out.xva");
            assertEquals(1, r.code());
            assertEquals(List.of(CliMessage.Response.FAILED), got);
            assertFalse(Files.exists(dir.resolve("out.xva")));
        }
        got.clear();
        Files.writeString(dir.resolve("old.xva"), "keep");
        try (MiniHttpServer http = new MiniHttpServer(x -> x.respond("HTTP/1.1 200 OK\r\n\r\nnew"))) {
            XeTestSupport.Result r = runUnix(
                    http,
                    p -> {
                        p.handshake().send(new CliMessage.HttpGet("old.xva", "/export?x"));
                        got.addAll(responses(p));
                    },
                    "vm-export",
                    "filename=old.xva");
            assertEquals(1, r.code());
            assertEquals(List.of(CliMessage.Response.FAILED), got);
            assertEquals("Operation failed. Error: old.xva: File exists\n", r.err());
            assertEquals("keep", Files.readString(dir.resolve("old.xva")));
        }
    }

    @Test
    void httpGetToStdoutAndANotPermittedFile() throws Exception {
        try (MiniHttpServer http = new MiniHttpServer(x -> x.respond("HTTP/1.0 200 OK\r\n\r\nbody bytes"))) {
            XeTestSupport.Result r = runUnix(
                    http,
                    p -> {
                        p.handshake().send(new CliMessage.HttpGet("", "/export?x"));
                        assertEquals(List.of(CliMessage.Response.OK), responses(p));
                        p.send(new CliMessage.Exit(0));
                    },
                    "vm-export",
                    "filename=");
            assertEquals(0, r.code(), r.err());
            assertEquals("body bytes", r.out());

            r = runUnix(
                    http,
                    p -> p.handshake().send(new CliMessage.HttpGet("vm2.xva", "/export?x")),
                    "vm-export",
                    "filename=vm.xva");
            assertEquals(1, r.code());
            assertTrue(r.err().startsWith("File not permitted: Blocked upload/download of the file vm2.xva,"), r.err());
        }
    }

    @Test
    void httpPutWaitsForTheStatusThenStreamsWithHeartbeats() throws Exception {
        Path file = dir.resolve("disk.img");
        Files.write(file, DATA);
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        boolean[] earlyBody = new boolean[1];
        try (MiniHttpServer http = new MiniHttpServer(x -> {
            if (x.requestLine().startsWith("PUT /import_raw_vdi?")) {
                x.respond("HTTP/1.1 302 Found\r\nlocation: /there?a=1\r\n\r\n");
                return;
            }
            Thread.sleep(200);
            earlyBody[0] = x.in().available() > 0;
            x.respond("HTTP/1.1 200 OK\r\n\r\n");
            x.in().transferTo(received);
        })) {
            List<CliMessage> got = new ArrayList<>();
            try (FakeCliServer s = FakeCliServer.unix(dir, p -> {
                p.handshake().send(new CliMessage.HttpPut("disk.img", "/import_raw_vdi?session_id=S&vdi=V"));
                got.addAll(responses(p));
                p.send(new CliMessage.Exit(0));
            })) {
                XeTestSupport xe = new XeTestSupport(dir);
                xe.env.put("XE_UNIX_SOCKET", s.socketPath.toString());
                xe.heartbeatMillis = 0; // a heartbeat after every block
                XeTestSupport.Result r = runWith(xe, s, http, "vdi-import", "uuid=V", "filename=disk.img");
                assertEquals(0, r.code(), r.err());
            }
            http.awaitHandled(2);
            assertEquals(
                    "PUT /import_raw_vdi?session_id=S&vdi=V HTTP/1.0\r\nContent-length: 200000\r\n\r\n",
                    http.heads.get(0));
            assertEquals("PUT /there?a=1 HTTP/1.0\r\nContent-length: 200000\r\n\r\n", http.heads.get(1));
            assertFalse(earlyBody[0], "the body was sent before the status line");
            assertArrayEquals(DATA, received.toByteArray());
            assertTrue(got.size() >= 2, got.toString());
            assertEquals(CliMessage.Response.OK, got.get(got.size() - 1));
            assertEquals(CliMessage.Response.WAIT, got.get(0));
        }
    }

    @Test
    void httpPutRefusedOrOfAMissingFile() throws Exception {
        Files.writeString(dir.resolve("u.iso"), "x");
        List<CliMessage> got = new ArrayList<>();
        try (MiniHttpServer http = new MiniHttpServer(x -> x.respond("HTTP/1.1 403 Forbidden\r\n\r\n"))) {
            XeTestSupport.Result r = runUnix(
                    http,
                    p -> {
                        p.handshake().send(new CliMessage.HttpPut("u.iso", "/import?x"));
                        got.addAll(responses(p));
                        p.send(new CliMessage.Exit(1));
                    },
                    "update-upload",
                    "file-name=u.iso");
            assertEquals(1, r.code());
            assertEquals(List.of(CliMessage.Response.FAILED), got);
            assertEquals("", r.err());

            got.clear();
            r = runUnix(
                    http,
                    p -> {
                        p.handshake().send(new CliMessage.HttpPut("nothere.iso", "/import?x"));
                        got.addAll(responses(p));
                    },
                    "update-upload",
                    "file-name=nothere.iso");
            assertEquals(1, r.code());
            assertEquals(List.of(CliMessage.Response.FAILED), got);
            assertEquals("Operation failed. Error: file 'nothere.iso' does not exist\n", r.err());
        }
    }

    @Test
    void httpConnectRelaysUntilCtrlRightBracket() throws Exception {
        ByteArrayOutputStream typed = new ByteArrayOutputStream();
        try (MiniHttpServer http = new MiniHttpServer(x -> {
            x.respond("HTTP/1.1 200 OK\r\n\r\nlogin: ");
            int c;
            while ((c = x.in().read()) >= 0) typed.write(c);
        })) {
            List<CliMessage> got = new ArrayList<>();
            try (FakeCliServer s = FakeCliServer.unix(dir, p -> {
                p.handshake().send(new CliMessage.HttpConnect("/console?ref=OpaqueRef:1&session_id=S"));
                got.addAll(responses(p));
                p.send(new CliMessage.Exit(0));
            })) {
                XeTestSupport xe = new XeTestSupport(dir);
                xe.env.put("XE_UNIX_SOCKET", s.socketPath.toString());
                ByteArrayOutputStream[] outRef = new ByteArrayOutputStream[1];
                // stdin types only once the console's prompt is shown
                xe.stdin = new InputStream() {
                    private final byte[] data = "root\n\u001dafter".getBytes(StandardCharsets.UTF_8);
                    private int i;

                    @Override
                    public int read() throws IOException {
                        if (i == 0) {
                            long end = System.currentTimeMillis() + 5000;
                            while (System.currentTimeMillis() < end && http.heads.isEmpty()) sleep();
                            sleep();
                        }
                        return i < data.length ? data[i++] & 0xff : -1;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        int c = read();
                        if (c < 0) return -1;
                        b[off] = (byte) c;
                        return 1;
                    }
                };
                XeTestSupport.Result r = runWith(xe, s, http, "console", "vm=x");
                assertEquals(0, r.code(), r.err());
                assertEquals(
                        "CONNECT /console?ref=OpaqueRef:1&session_id=S HTTP/1.0\r\ncontent-length: 0\r\n\r\n",
                        http.heads.get(0));
                assertEquals(List.of(CliMessage.Response.OK), got);
            }
            long end = System.currentTimeMillis() + 5000;
            while (System.currentTimeMillis() < end && typed.size() < 5) sleep();
            assertEquals("root\n", typed.toString(StandardCharsets.UTF_8));
        }
        try (MiniHttpServer http = new MiniHttpServer(x -> x.respond("HTTP/1.1 404 Not Found\r\n\r\n"))) {
            List<CliMessage> got = new ArrayList<>();
            XeTestSupport.Result r = runUnix(
                    http,
                    p -> {
                        p.handshake().send(new CliMessage.HttpConnect("/console?ref=x"));
                        got.addAll(responses(p));
                        p.send(new CliMessage.Exit(1));
                    },
                    "console");
            assertEquals(List.of(CliMessage.Response.FAILED), got);
            assertEquals("Server replied with HTTP 404: the console is not available\n", r.err());
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void urlTargets() {
        assertEquals(
                new HttpCommands.Target("h", "/export?a=b c"), HttpCommands.target("https://h/export?a=b%20c", "srv"));
        assertEquals(new HttpCommands.Target("srv", "/export?x=%41"), HttpCommands.target("/export?x=%41", "srv"));
        // a pool member's plain-HTTP redirection (its port is the command line's: a pool's hosts share them)
        assertEquals(
                new HttpCommands.Target("127.0.0.4", "/export?a=b"),
                HttpCommands.target("http://127.0.0.4:8080/export?a=b", "srv"));
        assertEquals(new HttpCommands.Target("srv", "ftp://h/x"), HttpCommands.target("ftp://h/x", "srv"));
        assertEquals(new HttpCommands.Target("h", "/"), HttpCommands.target("https://h", "srv"));
    }

    @Test
    void httpConnectReconnectsUntilTheConsoleAnswersAndReportsOtherStatuses() throws Exception {
        int port;
        try (java.net.ServerSocket probe =
                new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = probe.getLocalPort();
        }
        MiniHttpServer[] late = new MiniHttpServer[1];
        Thread starter = new Thread(() -> {
            try {
                Thread.sleep(400);
                late[0] = new MiniHttpServer(port, x -> x.respond("HTTP/1.1 403 Forbidden\r\n\r\n"));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        starter.start();
        List<CliMessage> got = new ArrayList<>();
        try (FakeCliServer s = FakeCliServer.unix(dir, p -> {
            p.handshake().send(new CliMessage.HttpConnect("/console?ref=x"));
            got.addAll(responses(p));
            p.send(new CliMessage.Exit(1));
        })) {
            XeTestSupport xe = new XeTestSupport(dir);
            xe.env.put("XE_UNIX_SOCKET", s.socketPath.toString());
            XeTestSupport.Result r = xe.run("-p", "" + port, "console", "vm=x");
            s.awaitDone();
            starter.join();
            assertEquals(1, r.code());
            assertEquals(List.of(CliMessage.Response.FAILED), got);
            assertEquals("Server said: HTTP/1.1 403 Forbidden\n", r.err());
        } finally {
            if (late[0] != null) late[0].close();
        }
    }
}
