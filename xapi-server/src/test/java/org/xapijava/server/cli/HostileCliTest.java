package org.xapijava.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.cli.protocol.CliMessage;
import org.xapijava.cli.protocol.CliProtocol;
import org.xapijava.server.TestHost;

/**
 * Bad clients of {@code /cli} (issue 15, "Bad input"): bodies over 200 KiB or without a length, a wrong protocol
 * version, garbage instead of a banner or of a prompt's answer, a client that goes away; each refused or ended
 * without changing anything, and the host keeps serving.
 */
class HostileCliTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static Path home;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir.resolve("host"));
        home = Files.createDirectories(dir.resolve("home"));
    }

    @AfterAll
    static void stop() throws Exception {
        host.close();
    }

    static byte[] request(String body, boolean withLength) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST /cli HTTP/1.0\r\nUser-agent: xe-cli/Unix/0.2\r\noriginator: cli\r\n"
                + (withLength ? "content-length: " + b.length + "\r\n" : "") + "\r\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(b);
        return out.toByteArray();
    }

    static String credentials() {
        return "\nusername=root\npassword=" + host.password();
    }

    /** The host still answers a real client afterwards. */
    static void stillServes() {
        XeRun.Result r = XeRun.tcp(host, home, "", "host-list", "--minimal");
        assertEquals(0, r.code(), r::toString);
    }

    @Test
    void aBodyOver200KibOrWithoutALengthIsAnHttpErrorNotAProtocol() throws Exception {
        for (byte[] req : List.of(
                request("vm-list\n" + "x".repeat(200 * 1024), true), request("vm-list" + credentials(), false))) {
            try (Socket s = new Socket("127.0.0.1", host.port())) {
                s.getOutputStream().write(req);
                String reply = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                assertTrue(reply.startsWith("HTTP/1.1 500"), reply);
            }
        }
        stillServes();
    }

    @Test
    void aWrongVersionOrGarbageInsteadOfTheBannerEndsTheConnectionSilently() throws Exception {
        byte[] v1 = CliProtocol.banner();
        v1[CliProtocol.PREFIX.length] = 1; // major 1
        for (byte[] answer :
                List.of(v1, "GET / HTTP/1.1\r\n\r\n.................".getBytes(StandardCharsets.US_ASCII))) {
            try (Socket s = new Socket("127.0.0.1", host.port())) {
                s.getOutputStream().write(request("vm-list" + credentials(), true));
                InputStream in = s.getInputStream();
                assertEquals(new CliProtocol.Version(0, 2), CliProtocol.readBanner(in));
                s.getOutputStream().write(answer);
                assertEquals(-1, in.read(), "the server closes without a message");
            }
        }
        stillServes();
    }

    @Test
    void garbageForAPromptsAnswerDestroysNothing() throws Exception {
        String vm = XeRun.tcp(host, home, "", "vm-install", "template=Debian Bookworm 12", "new-name-label=victim")
                .out()
                .strip();
        try (Socket s = new Socket("127.0.0.1", host.port())) {
            OutputStream o = s.getOutputStream();
            InputStream in = s.getInputStream();
            o.write(request("vm-uninstall\nuuid=" + vm + credentials(), true));
            CliProtocol.readBanner(in);
            o.write(CliProtocol.banner());
            List<CliMessage> seen = new ArrayList<>();
            while (true) {
                CliMessage m = CliProtocol.read(in);
                seen.add(m);
                if (m instanceof CliMessage.Prompt) break;
            }
            o.write(new byte[] {0x0c, 0, 0, 0, 0x63, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}); // an unknown envelope
            o.flush();
            // the server gives up on this client: an error and exit 1, or the connection closed
            try {
                CliMessage m;
                do {
                    m = CliProtocol.read(in);
                } while (!(m instanceof CliMessage.Exit));
                assertEquals(new CliMessage.Exit(1), m);
            } catch (IOException closed) {
                // closed: as good
            }
        }
        XeRun.Result r = XeRun.tcp(host, home, "", "vm-list", "uuid=" + vm, "--minimal");
        assertEquals(vm + "\n", r.out(), "nothing was destroyed");
        stillServes();
    }

    @Test
    void aClientThatGoesAwayMidCommandLeavesTheHostServing() throws Exception {
        for (int i = 0; i < 20; i++) {
            try (Socket s = new Socket("127.0.0.1", host.port())) {
                s.getOutputStream().write(request("vm-list" + credentials(), true));
                if (i % 2 == 0) CliProtocol.readBanner(s.getInputStream());
            }
        }
        stillServes();
    }

    @Test
    void unknownCommandsAndParametersAreRefusedAsXeRefusesThem() {
        XeRun.Result r = XeRun.tcp(host, home, "", "vm-lisst");
        assertEquals(1, r.code());
        assertEquals("Unknown command: vm-lisst\nFor usage run: 'xe help'\n", r.err());
        // unknown parameters of a list are filters: a field that does not exist is Xapi's error
        XeRun.Result f = XeRun.tcp(host, home, "", "vm-list", "colour=red");
        assertEquals(1, f.code());
        assertEquals("Error: Unknown field 'colour'\n", f.err());
        // a bad switch is a syntax error
        XeRun.Result sw = XeRun.tcp(host, home, "", "vm-list", "-x", "y");
        assertEquals(1, sw.code());
        assertEquals("Syntax error: \nFor usage run: 'xe help'\n", sw.err());
    }
}
