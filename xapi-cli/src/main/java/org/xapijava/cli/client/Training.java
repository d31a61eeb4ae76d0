package org.xapijava.cli.client;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.xapijava.cli.protocol.CliMessage;
import org.xapijava.cli.protocol.CliProtocol;

/**
 * The training run of {@code scripts/xe} ({@code -Dxe.train=true}): a few commands against an in-process server
 * on a temporary Unix socket, so that the AppCDS archive the JVM writes at exit holds the classes an ordinary
 * command loads.
 */
final class Training {
    private Training() {}

    static int run() throws IOException {
        Path dir = Files.createTempDirectory("xe-train");
        Path sock = dir.resolve("xapi.sock");
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread t = new Thread(
                    () -> {
                        try {
                            while (true) serve(server.accept());
                        } catch (IOException e) {
                            // closed: training is over
                        }
                    },
                    "xe-train");
            t.setDaemon(true);
            t.start();
            Map<String, String> env = Map.of("XE_UNIX_SOCKET", sock.toString(), "XE_EXTRA_ARGS", "x=y");
            Stdio stdio = new Stdio(new ByteArrayInputStream(new byte[0]), sink, sink, dir.toString(), false);
            for (int i = 0; i < 3; i++) {
                Xe.run(
                        new String[] {"vm-list", "--minimal", "params=uuid"},
                        env,
                        dir,
                        stdio,
                        Xe.HEARTBEAT_MILLIS,
                        "xe");
            }
        } finally {
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
        }
        return 0;
    }

    /** Reads the request, then plays the common messages of a command. */
    private static void serve(SocketChannel ch) throws IOException {
        try (ch) {
            InputStream in = new BufferedInputStream(Channels.newInputStream(ch));
            OutputStream out = Channels.newOutputStream(ch);
            int length = 0;
            String line;
            while ((line = HttpCommands.readLine(in)) != null && !line.equals("\r")) {
                if (line.startsWith("content-length: "))
                    length = Integer.parseInt(line.substring(16).trim());
            }
            in.readNBytes(length);
            out.write(CliProtocol.banner());
            out.flush();
            in.readNBytes(CliProtocol.BANNER_LENGTH);
            CliProtocol.write(out, new CliMessage.Print("u1,u2"));
            CliProtocol.write(out, new CliMessage.PrintStderr(""));
            CliProtocol.write(out, new CliMessage.Error("CODE", List.of("a")));
            CliProtocol.write(out, new CliMessage.Exit(0));
            out.flush();
        }
    }
}
