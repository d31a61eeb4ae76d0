package org.xapijava.cli.server;

import org.xapijava.model.client.XenApi;

/**
 * What one command runs with: the connection (for commands that load, prompt or transfer), the printer, the XenAPI
 * bound to the command's session, its parameters, the host, and whether the client came by the Unix socket.
 */
public record CommandContext(
        CliConnection conn, Printer out, XenApi api, Params params, CliHost host, boolean unixSocket) {

    public String session() {
        return api.sessionRef();
    }
}
