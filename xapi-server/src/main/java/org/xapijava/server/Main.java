package org.xapijava.server;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.server.config.XapiConfig;

/**
 * {@code xapi [--data-dir DIR] [--http-port N] [--bind ADDR] [--config FILE] [--<key> VALUE]...}:
 * starts one host, prints exactly one line {@code xapi ready: http://ADDR:PORT user=root password=PW}
 * on standard output once it answers calls, and stops cleanly (final database flush) on SIGTERM/SIGINT.
 */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {}

    public static void main(String[] args) throws Exception {
        XapiConfig config;
        try {
            config = XapiConfig.fromArgs(List.of(args));
        } catch (IllegalArgumentException e) {
            System.err.println("xapi: " + e.getMessage());
            System.err.println(
                    "usage: xapi [--data-dir DIR] [--http-port N] [--bind ADDR] [--config FILE] [--<key> VALUE]...");
            System.exit(2);
            return;
        }
        AtomicReference<XapiServer> current = new AtomicReference<>();
        CountDownLatch stopping = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            stopping.countDown();
                            try {
                                synchronized (current) {
                                    XapiServer s = current.getAndSet(null);
                                    if (s != null) s.close();
                                }
                                LOG.info("xapi stopped");
                            } catch (Exception e) {
                                LOG.error("clean stop failed", e);
                            } finally {
                                stopped.countDown();
                            }
                        },
                        "xapi-shutdown"));
        boolean first = true;
        while (stopping.getCount() > 0) {
            XapiServer server = new XapiServer(config);
            synchronized (current) {
                if (stopping.getCount() == 0) break;
                current.set(server);
            }
            try {
                server.start();
            } catch (Exception e) {
                LOG.error("xapi failed to start", e);
                System.err.println("xapi: failed to start: " + e);
                System.exit(1);
            }
            if (first) {
                String pw = server.rootPassword();
                System.out.println(
                        "xapi ready: http://" + server.bindAddress() + ":" + server.httpPort() + " user=root password="
                                + (pw != null ? pw : server.usesPam() ? "(PAM)" : "(the pool master's)"));
                System.out.flush();
                first = false;
            }
            // Xapi restarts itself when its role changes or its master is lost: here, the same process starts again
            java.util.concurrent.CompletableFuture.anyOf(
                            server.restartRequested(), java.util.concurrent.CompletableFuture.runAsync(() -> {
                                try {
                                    stopping.await();
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            }))
                    .join();
            if (server.stopRequested().isDone()) {
                LOG.warn("xapi stopping (host.shutdown_agent)");
                System.exit(0); // the shutdown hook closes the server
            }
            synchronized (current) {
                if (stopping.getCount() == 0) break;
                current.set(null);
            }
            LOG.warn("xapi restarting");
            server.close();
        }
        stopped.await();
    }
}
