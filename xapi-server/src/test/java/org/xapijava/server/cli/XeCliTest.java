package org.xapijava.server.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/** The real {@code xe} client against a real host over TCP and the Unix socket. */
class XeCliTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static Path home;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir.resolve("host"));
        home = java.nio.file.Files.createDirectories(dir.resolve("home"));
    }

    @AfterAll
    static void stop() throws Exception {
        host.close();
    }

    static XeRun.Result xe(String... args) {
        return XeRun.tcp(host, home, "", args);
    }

    @Test
    void smoke() {
        for (String[] cmd : new String[][] {
            {"help"},
            {"help", "vm-start"},
            {"vm-list"},
            {"vm-list", "--minimal"},
            {"host-list"},
            {"sr-list"},
            {"template-list", "params=name-label", "--minimal"},
            {"nosuch"},
            {"vm-param-list", "uuid=nope"},
            {"pool-list"},
            {"network-list"},
            {"pif-list"},
            {"vdi-list"},
            {"pbd-list"},
            {"sm-list"},
            {"task-list"},
            {"message-list"},
            {"console-list"},
            {"host-cpu-list"}
        }) {
            XeRun.Result r = xe(cmd);
            System.out.println("### xe " + String.join(" ", cmd) + "\n" + r);
        }
        XeRun.Result u = XeRun.unix(host, home, "", "vm-list");
        System.out.println("### unix vm-list\n" + u);
        assertTrue(true);
    }
}
