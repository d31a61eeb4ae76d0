package org.xapijava.server.it;

import java.nio.file.Path;
import java.util.List;
import org.xapijava.server.TestHost;

/**
 * A pool of three in-process hosts on one HTTP port: the master on 127.0.0.2, members on 127.0.0.3 and 127.0.0.4
 * on the master's database, with the master's pool secret (as {@link TwoHostPool}). Closing stops the members,
 * then the master.
 */
record ThreeHostPool(TestHost master, TestHost member1, TestHost member2) implements AutoCloseable {
    static ThreeHostPool start(Path masterDir, Path member1Dir, Path member2Dir) throws Exception {
        int port = PoolHost.freePort();
        TestHost master = TestHost.start(masterDir, "--bind", "127.0.0.2", "--http-port", Integer.toString(port));
        TestHost m1 = null;
        try {
            m1 = member(master, masterDir, member1Dir, "127.0.0.3", port);
            TestHost m2 = member(master, masterDir, member2Dir, "127.0.0.4", port);
            return new ThreeHostPool(master, m1, m2);
        } catch (Exception | Error e) {
            if (m1 != null) m1.close();
            master.close();
            throw e;
        }
    }

    private static TestHost member(TestHost master, Path masterDir, Path dir, String address, int port)
            throws Exception {
        return TestHost.startMember(
                dir,
                master,
                "--bind",
                address,
                "--http-port",
                Integer.toString(port),
                "--pool-secret",
                masterDir.resolve("ptoken").toString());
    }

    List<TestHost> hosts() {
        return List.of(master, member1, member2);
    }

    @Override
    public void close() throws Exception {
        try {
            try {
                member2.close();
            } finally {
                member1.close();
            }
        } finally {
            master.close();
        }
    }
}
