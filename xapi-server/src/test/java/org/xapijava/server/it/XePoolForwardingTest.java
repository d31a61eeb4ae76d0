package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.cli.XeRun;

/**
 * {@code xe} on a pool member (xe-cli.md §1.9): over the member's Unix socket the command is relayed to the master's
 * {@code /cli} with a session of the member's login and runs there; over TCP the member answers
 * {@code HOST_IS_SLAVE} with the master's address, as Xapi.
 */
class XePoolForwardingTest {
    @TempDir
    static Path dir;

    static TwoHostPool pool;
    static Path home;

    @BeforeAll
    static void start() throws Exception {
        pool = TwoHostPool.start(
                Files.createDirectories(dir.resolve("master")), Files.createDirectories(dir.resolve("member")));
        home = Files.createDirectories(dir.resolve("home"));
    }

    @AfterAll
    static void stop() throws Exception {
        pool.close();
    }

    @Test
    void theMembersUnixSocketRelaysToTheMaster() throws Exception {
        XeRun.Result onMaster = XeRun.unix(pool.master(), home, "", "host-list", "params=name-label", "--minimal");
        assertEquals(0, onMaster.code(), onMaster::toString);
        XeRun.Result onMember = XeRun.unix(pool.member(), home, "", "host-list", "params=name-label", "--minimal");
        assertEquals(0, onMember.code(), onMember::toString);
        assertEquals(onMaster.out(), onMember.out());
        assertEquals(2, onMember.out().strip().split(",").length, onMember::toString);
        // a change made through the member is the pool's
        String vm = XeRun.unix(
                        pool.member(), home, "", "vm-install", "template=Debian Bookworm 12", "new-name-label=relayed")
                .out()
                .strip();
        assertTrue(vm.matches("[0-9a-f-]{36}"), vm);
        XeRun.Result seen = XeRun.unix(pool.master(), home, "", "vm-list", "name-label=relayed", "--minimal");
        assertEquals(vm + "\n", seen.out());
        // errors come back as the master printed them
        XeRun.Result bad = XeRun.unix(pool.member(), home, "", "vm-param-list", "uuid=nope");
        assertEquals(1, bad.code());
        assertEquals("The uuid you supplied was invalid.\ntype: VM\nuuid: nope\n", bad.err());
    }

    @Test
    void theMemberAnswersHostIsSlaveOverTcp() {
        XeRun.Result r = XeRun.run(
                Map.of("XE_UNIX_SOCKET", home.resolve("none").toString()),
                home,
                "",
                List.of(
                        "-s",
                        "127.0.0.3",
                        "--nossl",
                        "-p",
                        Integer.toString(pool.member().port()),
                        "-pw",
                        pool.master().password(),
                        "vm-list"));
        assertEquals(1, r.code(), r::toString);
        assertEquals(
                "You cannot make regular API calls directly on a supporter. Please pass API calls via the"
                        + " coordinator host.\nMaster IP address: 127.0.0.2\n",
                r.err());
    }
}
