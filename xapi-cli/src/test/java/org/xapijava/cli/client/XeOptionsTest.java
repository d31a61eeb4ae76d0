package org.xapijava.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.cli.protocol.CliMessage;

/** Options, ~/.xe, XE_EXTRA_ARGS and usage (CLI reference §2.1–2.3, §2.5). */
class XeOptionsTest {
    @TempDir
    Path dir;

    private static final String HEAD = "POST /cli HTTP/1.0\r\nUser-agent: xe-cli/Unix/0.2\r\noriginator: cli\r\n";

    /** Runs the client against a server that answers Exit 0 and returns the request's body. */
    private String body(XeTestSupport xe, String... args) throws Exception {
        try (FakeCliServer s = FakeCliServer.tcp(p -> p.handshake().send(new CliMessage.Exit(0)))) {
            String[] all = new String[args.length + 2];
            all[0] = "-p";
            all[1] = String.valueOf(s.port());
            System.arraycopy(args, 0, all, 2, args.length);
            XeTestSupport.Result r = xe.run(all);
            assertEquals(0, r.code(), r.err());
            String req = s.request();
            return req.substring(req.indexOf("\r\n\r\n") + 4);
        }
    }

    @Test
    void switchesAndKeyValuesAnywhereAreConsumed() throws Exception {
        XeTestSupport xe = new XeTestSupport(dir);
        assertEquals(
                "vm-list\nparams=uuid\nusername=alice\npassword=pw",
                body(
                        xe,
                        "vm-list",
                        "-u",
                        "bob",
                        "params=uuid",
                        "username=alice",
                        "-pw",
                        "pw",
                        "--debug-on-fail",
                        "nossl=true",
                        "-s",
                        "127.0.0.1"));
    }

    @Test
    void rcFileThenExtraArgsThenArgvWithLeftoversAppendedInThatOrder() throws Exception {
        Files.writeString(dir.resolve(".xe"), "username=rc\npassword=rcpw\n\nminimal=true\nport=1\n");
        XeTestSupport xe = new XeTestSupport(dir);
        xe.env.put("XE_EXTRA_ARGS", "username=extra,name-label=a\\,b,,debug=false");
        // the port comes from argv (the helper adds -p), the user from XE_EXTRA_ARGS, the password from ~/.xe
        assertEquals("vm-list\nname-label=a,b\nminimal=true\nusername=extra\npassword=rcpw", body(xe, "vm-list"));
        assertEquals(
                "vm-list\nname-label=a,b\nminimal=true\nusername=argv\npassword=rcpw",
                body(xe, "vm-list", "username=argv"));
    }

    @Test
    void aBadRcFileIsIgnoredWithAMessage() throws Exception {
        Files.writeString(dir.resolve(".xe"), "username=rc\nbroken line\n");
        XeTestSupport xe = new XeTestSupport(dir);
        try (FakeCliServer s = FakeCliServer.tcp(p -> p.handshake().send(new CliMessage.Exit(0)))) {
            XeTestSupport.Result r = xe.run("-p", "" + s.port(), "vm-list");
            assertEquals("Error parsing rc file. No defaults loaded\n", r.err());
            assertTrue(s.request().endsWith("vm-list\nusername=root\npassword=null"));
        }
    }

    @Test
    void extraArgsSplitting() {
        assertEquals(List.of("a=1", "b=x,y", "c=z"), XeOptions.splitExtraArgs("a=1,,b=x\\,y,c=z,"));
        assertEquals(List.of(), XeOptions.splitExtraArgs(""));
        assertEquals(List.of("server=h"), XeOptions.splitExtraArgs(",server=h"));
    }

    @Test
    void traceparentAndBaggageHeaders() throws Exception {
        XeTestSupport xe = new XeTestSupport(dir);
        xe.env.put("TRACEPARENT", "00-env-01");
        xe.env.put("BAGGAGE", "k=v");
        try (FakeCliServer s = FakeCliServer.tcp(p -> p.handshake().send(new CliMessage.Exit(0)))) {
            xe.run("-p", "" + s.port(), "vm-list");
            assertEquals(
                    HEAD + "traceparent: 00-env-01\r\nbaggage: k=v\r\ncontent-length: 35\r\n\r\n"
                            + "vm-list\nusername=root\npassword=null",
                    s.request());
        }
        xe.env.put("XE_EXTRA_ARGS", "traceparent=00-extra-01");
        try (FakeCliServer s = FakeCliServer.tcp(p -> p.handshake().send(new CliMessage.Exit(0)))) {
            // the environment variable wins over XE_EXTRA_ARGS, the command line over both
            xe.run("-p", "" + s.port(), "--traceparent", "00-argv-01", "vm-list");
            assertTrue(s.request().contains("\r\ntraceparent: 00-argv-01\r\n"), s.request());
        }
    }

    @Test
    void passwordFile() throws Exception {
        Path pwf = dir.resolve("pw");
        Files.writeString(pwf, "admin\nsecret\nignored\n");
        XeTestSupport xe = new XeTestSupport(dir);
        assertEquals("vm-list\nusername=admin\npassword=secret", body(xe, "vm-list", "-pwf", pwf.toString()));

        XeTestSupport.Result r = xe.run("vm-list", "passwordfile=" + dir.resolve("missing"));
        assertEquals(1, r.code());
        assertEquals("Error opening password file '" + dir.resolve("missing") + "'\n", r.err());

        Files.writeString(pwf, "admin\n");
        r = xe.run("vm-list", "-pwf", pwf.toString());
        assertEquals(1, r.code());
        assertEquals(
                "Error: password file format: expecting username on the first line, password on the second line\n",
                r.err());
    }

    @Test
    void usageVersionAndBadPort() {
        XeTestSupport xe = new XeTestSupport(dir);
        XeTestSupport.Result r = xe.run();
        assertEquals(0, r.code());
        assertEquals(Xe.usage("xe"), r.err());
        assertTrue(r.err().startsWith("Usage:\n  xe <command>\n    [ -s <server> ]            XenServer host\n"));

        r = xe.run("vm-list", "--help");
        assertEquals(0, r.code());
        assertEquals(Xe.usage("xe"), r.err());

        r = xe.run("vm-list", "-p", "70000");
        assertEquals(0, r.code());
        assertEquals("Port number must be an integer (0-65535)\n" + Xe.usage("xe"), r.err());

        r = xe.run("vm-list", "-version");
        assertEquals(0, r.code());
        assertEquals("ThinCLI protocol: 0.2\n", r.out());

        r = xe.run("vm-list", "nossl=yes");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("Unhandled exception\n"));
    }

    @Test
    void permittedFilesAreTheTypedValuesMadeAbsolute() throws Exception {
        PermittedFiles p = new PermittedFiles("/home/u", List.of("filename=a/../b.xva", "x= ", "bare", "f=/tmp//c"));
        p.check("/home/u/b.xva", false);
        p.check("b.xva", false);
        p.check("/tmp/c", false);
        p.check("/home/u/./b.xva", false);
        assertEquals("/home/u/", p.canonical("."));
        assertEquals("/", p.canonical("/.."));
        org.junit.jupiter.api.Assertions.assertThrows(XeException.class, () -> p.check("c", false));
        org.junit.jupiter.api.Assertions.assertThrows(XeException.class, () -> p.check("/home/u", false));
        p.check(".", true);
    }
}
