package org.xapijava.server.it;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.xapijava.server.TestHost;

/**
 * A pool of two in-process hosts on one HTTP port: the master on 127.0.0.2 (in {@code masterDir}), a member on
 * 127.0.0.3 (in {@code memberDir}) on the master's database, with the master's pool secret. Closing stops the
 * member, then the master.
 */
record TwoHostPool(TestHost master, TestHost member) implements AutoCloseable {
    static TwoHostPool start(Path masterDir, Path memberDir) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.2", 0));
            port = s.getLocalPort();
        }
        TestHost master = TestHost.start(masterDir, "--bind", "127.0.0.2", "--http-port", Integer.toString(port));
        try {
            TestHost member = TestHost.startMember(
                    memberDir,
                    master,
                    "--bind",
                    "127.0.0.3",
                    "--http-port",
                    Integer.toString(port),
                    "--pool-secret",
                    masterDir.resolve("ptoken").toString());
            return new TwoHostPool(master, member);
        } catch (Exception | Error e) {
            master.close();
            throw e;
        }
    }

    @Override
    public void close() throws Exception {
        try {
            member.close();
        } finally {
            master.close();
        }
    }
}
