package org.xapijava.cli.client;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A raw HTTP server for the transfer tests: each connection's request head is recorded and handed to a handler. */
final class MiniHttpServer implements AutoCloseable {
    /** One request: its head (request line and headers, CRLFs kept) and the connection. */
    record Exchange(String head, InputStream in, OutputStream out) {
        void respond(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        String requestLine() {
            return head.substring(0, head.indexOf("\r\n"));
        }
    }

    interface Handler {
        void handle(Exchange x) throws Exception;
    }

    private final ServerSocket server;
    final List<String> heads = new CopyOnWriteArrayList<>();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();

    MiniHttpServer(Handler handler) throws IOException {
        this(0, handler);
    }

    MiniHttpServer(int port, Handler handler) throws IOException {
        server = new ServerSocket(port, 10, InetAddress.getByName("127.0.0.1"));
        Thread t = new Thread(
                () -> {
                    while (!server.isClosed()) {
                        try {
                            Socket s = server.accept();
                            Thread c = new Thread(() -> serve(s, handler), "mini-http-conn");
                            c.setDaemon(true);
                            c.start();
                        } catch (IOException e) {
                            return;
                        }
                    }
                },
                "mini-http");
        t.setDaemon(true);
        t.start();
    }

    private int handled;

    /** Waits until {@code n} connections were handled (at most 10 s). */
    synchronized void awaitHandled(int n) throws InterruptedException {
        long end = System.currentTimeMillis() + 10_000;
        while (handled < n && System.currentTimeMillis() < end) wait(100);
    }

    int port() {
        return server.getLocalPort();
    }

    private void serve(Socket s, Handler handler) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int state = 0;
            while (state < 4) {
                int c = in.read();
                if (c < 0) throw new IOException("request head ended early");
                head.write(c);
                state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3))
                        ? state + 1
                        : (c == '\r' ? 1 : 0);
            }
            String h = head.toString(StandardCharsets.UTF_8);
            heads.add(h);
            handler.handle(new Exchange(h, in, s.getOutputStream()));
        } catch (Throwable e) {
            failures.add(e);
        } finally {
            synchronized (this) {
                handled++;
                notifyAll();
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
