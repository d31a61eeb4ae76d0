package org.xapijava.server.cli;

import java.io.IOException;
import java.io.OutputStream;
import org.eclipse.jetty.io.EndPoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.cli.server.CliHost;
import org.xapijava.cli.server.CliServer;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.RpcHandler;

/**
 * {@code POST /cli} (Xapi's {@code post_cli}): reads the body (a Content-Length is required, 200 KiB at most), then
 * the connection belongs to the thin CLI protocol — no HTTP status line, the banner first — until the command's
 * {@code Exit}, after which it is closed.
 */
public final class CliHandler {
    private static final Logger LOG = LoggerFactory.getLogger(CliHandler.class);

    private final CliServer server;

    public CliHandler(CliHost host) {
        this.server = new CliServer(host);
    }

    public void register(HttpHandlerTable table) {
        table.register("post_cli", this::handle);
    }

    private void handle(HttpCall c) {
        byte[] body;
        EndPoint ep = c.request().getConnectionMetaData().getConnection().getEndPoint();
        try {
            body = RpcHandler.readBody(c.request(), CliServer.MAX_BODY);
        } catch (RpcHandler.BodyException e) {
            LOG.info("/cli refused: {}", e.getMessage());
            RpcHandler.internalError(c, e.getMessage());
            return;
        } catch (IOException | RuntimeException e) {
            LOG.debug("/cli body not received in full: {}", e.toString());
            ep.close(e);
            c.callback().failed(e);
            return;
        }
        try {
            OutputStream out = EndPointStreams.out(ep);
            server.serve(
                    body,
                    EndPointStreams.in(ep),
                    out,
                    c.caller().localRoot(),
                    c.caller().remoteAddress());
            out.flush();
        } catch (IOException e) {
            LOG.debug("/cli connection ended: {}", e.toString());
        } catch (java.io.UncheckedIOException e) {
            // the client went away mid-reply (xe stops after a failed transfer of its own)
            LOG.debug("/cli connection ended: {}", e.getCause().toString());
        } catch (RuntimeException e) {
            LOG.warn("/cli command failed outside the protocol", e);
        } finally {
            // the reply was the protocol's: no HTTP response may follow it
            ep.close();
            c.callback().succeeded();
        }
    }
}
