package org.xapijava.bench.server;

/**
 * {@link BareJetty} as a process of its own, for baselines measured against a host started by {@code scripts/xapi}
 * (same JVM options, its own process): {@code BareJettyMain PORT} listens on 127.0.0.1:PORT (0: any free port),
 * prints {@code bare-jetty ready: PORT} on standard output and runs until it is killed.
 */
public final class BareJettyMain {
    private BareJettyMain() {}

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        BareJetty bare = BareJetty.start("127.0.0.1", port);
        System.out.println("bare-jetty ready: " + bare.port());
        System.out.flush();
        Thread.currentThread().join();
    }
}
