package org.xapijava.server.it;

import java.nio.file.Path;
import org.xapijava.server.TestHost;

/**
 * A pool of two in-process hosts on one HTTP port: the master on 127.0.0.2 (in {@code masterDir}), a member on
 * 127.0.0.3 (in {@code memberDir}) with the master's pool secret and {@code pool.conf} naming the master, which
 * reaches the master's database only over HTTP (its replica and its writes through the master). Closing stops the
 * member, then the master.
 */
record TwoHostPool(TestHost master, TestHost member) implements AutoCloseable {
    static TwoHostPool start(Path masterDir, Path memberDir, String... extra) throws Exception {
        int port = PoolHost.freePort();
        TestHost master =
                TestHost.start(masterDir, with(extra, "--bind", "127.0.0.2", "--http-port", Integer.toString(port)));
        try {
            // a member of the master's pool from its first start: it reaches the master only over HTTP
            java.nio.file.Files.writeString(memberDir.resolve("pool.conf"), "slave:127.0.0.2");
            TestHost member = TestHost.start(
                    memberDir,
                    with(
                            extra,
                            "--bind",
                            "127.0.0.3",
                            "--http-port",
                            Integer.toString(port),
                            "--pool-secret",
                            masterDir.resolve("ptoken").toString()));
            return new TwoHostPool(master, member);
        } catch (Exception | Error e) {
            master.close();
            throw e;
        }
    }

    /** {@code args} then {@code extra}: options given to both hosts. */
    private static String[] with(String[] extra, String... args) {
        String[] all = java.util.Arrays.copyOf(args, args.length + extra.length);
        System.arraycopy(extra, 0, all, args.length, extra.length);
        return all;
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
