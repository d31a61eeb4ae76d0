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

    /**
     * {@code xe vm-migrate} with a disk map (Xapi's storage live migration from the CLI) within the pool: the CLI logs
     * in to {@code remote-master} (this pool's master), picks the host and its management network, and the halted VM's
     * disk moves from the master's local SR to the member's.
     */
    @Test
    void vmMigrateWithADiskMapMovesTheDiskToTheMembersSr() throws Exception {
        org.xapijava.db.Db db = pool.master().server.services().data();
        String hostB = pool.member().server.services().hostRef();
        String srA = localSr(db, pool.master().server.services().hostRef());
        String srB = localSr(db, hostB);
        String hostBUuid = db.get(hostB, org.xapijava.model.api.Host.UUID);
        String vm = xe(
                        "vm-install",
                        "template=Debian Bookworm 12",
                        "new-name-label=moving",
                        "sr-uuid=" + db.get(srA, org.xapijava.model.api.SR.UUID))
                .strip();
        String vdi = xe("vbd-list", "vm-uuid=" + vm, "type=Disk", "params=vdi-uuid", "--minimal")
                .strip();
        assertEquals(
                db.get(srA, org.xapijava.model.api.SR.UUID),
                xe("vdi-param-get", "uuid=" + vdi, "param-name=sr-uuid").strip());
        String srBUuid = db.get(srB, org.xapijava.model.api.SR.UUID);
        String out = xe(
                "vm-migrate",
                "uuid=" + vm,
                "remote-master=127.0.0.2",
                "remote-username=root",
                "remote-password=" + pool.master().password(),
                "host=" + hostBUuid,
                "vdi:" + vdi + "=" + srBUuid);
        String nameB = db.get(hostB, org.xapijava.model.api.Host.NAME_LABEL);
        String network = db.get(
                db.get(
                        db.where(org.xapijava.model.api.PIF.HOST, hostB).stream()
                                .filter(p -> db.get(p, org.xapijava.model.api.PIF.MANAGEMENT))
                                .findFirst()
                                .orElseThrow(),
                        org.xapijava.model.api.PIF.NETWORK),
                org.xapijava.model.api.Network.NAME_LABEL);
        assertEquals(
                "Performing a storage live migration. Your VM's VDIs will be migrated with the VM.\n"
                        + "Will migrate to remote host: " + nameB + ", using remote network: " + network
                        + ". Here is the VDI mapping:\n"
                        + "VDI " + vdi + " -> SR " + srBUuid + "\n",
                out);
        String moved = xe("vbd-list", "vm-uuid=" + vm, "type=Disk", "params=vdi-uuid", "--minimal")
                .strip();
        assertEquals(
                srBUuid,
                xe("vdi-param-get", "uuid=" + moved, "param-name=sr-uuid").strip());
        // without the remote login: Xapi's refusal
        XeRun.Result r =
                XeRun.unix(pool.master(), home, "", "vm-migrate", "uuid=" + vm, "vdi:" + moved + "=" + srBUuid);
        assertEquals(1, r.code(), r::toString);
        assertEquals(
                "Error: Storage live migration requires remote-master, remote-username, and remote-password to be"
                        + " specified. Please see 'xe help vm-migrate' for help.\n",
                r.err());
        xe("vm-uninstall", "uuid=" + vm, "--force");
    }

    /** The local file SR plugged on {@code host}. */
    static String localSr(org.xapijava.db.Db db, String host) {
        for (String pbd : db.where(org.xapijava.model.api.PBD.HOST, host)) {
            String sr = db.get(pbd, org.xapijava.model.api.PBD.SR);
            if (db.get(sr, org.xapijava.model.api.SR.TYPE).equals("file")) return sr;
        }
        throw new AssertionError("no local SR on " + host);
    }

    static String xe(String... args) {
        XeRun.Result r = XeRun.unix(pool.master(), home, "", args);
        assertEquals(0, r.code(), () -> String.join(" ", args) + "\n" + r);
        return r.out();
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
