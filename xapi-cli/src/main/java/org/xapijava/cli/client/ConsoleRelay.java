package org.xapijava.cli.client;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.xapijava.cli.protocol.CliMessage;

/**
 * {@code HttpConnect} (§1.7.4 of the CLI reference): {@code CONNECT} to the console's URL, then stdin to the
 * socket and the socket to stdout until Ctrl-] (0x1D) on stdin, the end of stdin, or the console closing. A
 * terminal on stdin is put in raw mode with {@code stty} meanwhile. Socket errors reconnect, waiting 0.1 s and
 * doubling while the wait is at most 5 s.
 */
final class ConsoleRelay {
    private static final int CTRL_RIGHT_BRACKET = 0x1d;
    private static final byte[] END = new byte[0];

    private final Session session;
    private final HttpCommands http;
    /** Chunks read from stdin; {@link #END} after Ctrl-] or the end of stdin. */
    private final LinkedBlockingQueue<byte[]> typed = new LinkedBlockingQueue<>();

    private Thread stdinReader;
    private String savedTty;

    ConsoleRelay(Session session, HttpCommands http) {
        this.session = session;
        this.http = http;
    }

    void run(HttpCommands.Target target) throws XeException {
        long delayMillis = 100;
        Thread restore = new Thread(this::restoreTty, "xe-tty-restore");
        Runtime.getRuntime().addShutdownHook(restore);
        try {
            while (true) {
                try (Connector.Conn c = session.connector.open(target.host())) {
                    delayMillis = 100;
                    connection(c, target.path());
                    return;
                } catch (SocketException e) {
                    if (delayMillis > 5000) {
                        giveUp(e);
                        return;
                    }
                    try {
                        Thread.sleep(delayMillis);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        giveUp(e);
                        return;
                    }
                    delayMillis *= 2;
                } catch (IOException | RuntimeException e) {
                    giveUp(e);
                    return;
                }
            }
        } finally {
            if (savedTty != null) {
                restoreTty();
                session.stdio.out().print("\r\n");
                session.stdio.out().flush();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(restore);
            } catch (IllegalStateException e) {
                // shutting down
            }
        }
    }

    private void giveUp(Exception e) throws XeException {
        PrintStream err = session.stdio.err();
        err.print(e + "\n");
        err.flush();
        session.send(CliMessage.Response.FAILED);
    }

    private void connection(Connector.Conn c, String path) throws IOException, XeException {
        c.out.write(HttpCommands.ascii("CONNECT " + path + " HTTP/1.0\r\ncontent-length: 0\r\n\r\n"));
        c.out.flush();
        String status = HttpCommands.readLine(c.in);
        if (status == null) throw new EOFException("no HTTP status line");
        http.readHeaders(c.in);
        int code = HttpCommands.statusCode(status);
        if (code == 404) {
            session.stdio.err().print("Server replied with HTTP 404: the console is not available\n");
            session.stdio.err().flush();
            session.send(CliMessage.Response.FAILED);
            return;
        }
        if (code != 200) {
            String line = status.endsWith("\r") ? status.substring(0, status.length() - 1) : status;
            session.stdio.err().print("Server said: " + line + "\n");
            session.stdio.err().flush();
            session.send(CliMessage.Response.FAILED);
            return;
        }
        if (savedTty == null && session.stdio.realTerminal()) rawTty();
        relay(c);
        session.send(CliMessage.Response.OK);
    }

    /** Relays until Ctrl-], the end of stdin or of the console; a socket error is thrown (to reconnect). */
    private void relay(Connector.Conn c) throws IOException, XeException {
        Pump pump = new Pump(c.in, session.stdio.out());
        pump.start();
        startStdinReader();
        long interval = session.heartbeatMillis;
        long last = System.nanoTime();
        try {
            while (true) {
                if (pump.failure != null) throw pump.failure;
                if (pump.ended) return;
                byte[] chunk;
                try {
                    chunk = typed.poll(Math.max(10, Math.min(interval, 200)), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (chunk == END) {
                    typed.add(END);
                    return;
                }
                if (chunk != null) {
                    c.out.write(chunk);
                    c.out.flush();
                }
                long now = System.nanoTime();
                if ((now - last) / 1_000_000L >= interval) {
                    session.heartbeat();
                    last = now;
                }
            }
        } finally {
            c.close();
        }
    }

    /** Reads stdin in the background, once for the whole console session. */
    private void startStdinReader() {
        if (stdinReader != null) return;
        InputStream in = session.stdio.in();
        stdinReader = new Thread(
                () -> {
                    byte[] buf = new byte[HttpCommands.BLOCK];
                    try {
                        int n;
                        while ((n = in.read(buf)) >= 0) {
                            int end = 0;
                            while (end < n && buf[end] != CTRL_RIGHT_BRACKET) end++;
                            if (end > 0) typed.add(Arrays.copyOf(buf, end));
                            if (end < n) break;
                        }
                    } catch (IOException e) {
                        // the end of stdin
                    }
                    typed.add(END);
                },
                "xe-console-stdin");
        stdinReader.setDaemon(true);
        stdinReader.start();
    }

    /** The console's output to stdout. */
    private static final class Pump extends Thread {
        private final InputStream from;
        private final PrintStream to;
        volatile boolean ended;
        volatile IOException failure;

        Pump(InputStream from, PrintStream to) {
            super("xe-console-output");
            setDaemon(true);
            this.from = from;
            this.to = to;
        }

        @Override
        public void run() {
            byte[] buf = new byte[HttpCommands.BLOCK];
            try {
                int n;
                while ((n = from.read(buf)) >= 0) {
                    to.write(buf, 0, n);
                    to.flush();
                }
                ended = true;
            } catch (SocketException e) {
                if (!ended) failure = e;
            } catch (IOException e) {
                ended = true;
            }
        }
    }

    private void rawTty() {
        String saved = stty("-g");
        if (saved == null || saved.isBlank()) return;
        if (stty(
                        "-ignbrk", "-brkint", "-parmrk", "-istrip", "-inlcr", "-igncr", "-icrnl", "-ixon", "-opost",
                        "-echo", "-echonl", "-icanon", "-isig", "cs8", "-parenb", "min", "1", "time", "0")
                != null) {
            savedTty = saved.trim();
        }
    }

    private void restoreTty() {
        String s = savedTty;
        if (s != null) stty(s);
    }

    /** Runs {@code stty} on this process's stdin; its output, or null when it fails (stdin is no terminal). */
    private static String stty(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "stty";
        System.arraycopy(args, 0, cmd, 1, args.length);
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            byte[] out = p.getInputStream().readAllBytes();
            return p.waitFor() == 0 ? new String(out, StandardCharsets.UTF_8) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
