package org.xapijava.cli.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.xapijava.model.client.Transport;

/** What the host serving {@code /cli} gives the command layer. Implementations are thread-safe. */
public interface CliHost {
    /**
     * A transport into this host's dispatcher for a command's calls, as the CLI's door: a caller on the Unix socket
     * is the local superuser (any credentials log in), one over TCP is checked.
     */
    Transport transport(boolean unixSocket, String clientAddress);

    /** Whether this host is the pool master. */
    boolean isMaster();

    /** The master's address (for {@code HOST_IS_SLAVE}). */
    String masterAddress();

    /**
     * On a member: relays this connection to the master's {@code /cli} as Xapi does (a {@code session_id=} first line,
     * the arguments joined by CRLF, the handshake as a client, then bytes both ways until either side closes).
     */
    void forwardToMaster(String session, List<String> args, InputStream clientIn, OutputStream clientOut)
            throws IOException;

    /** An object's uuid and name-label (null when its class has none). */
    record RefInfo(String uuid, String nameLabel) {}

    /**
     * Xapi's {@code Ref_index.lookup}: the uuid and name of the object {@code ref} names in this host's database, or
     * null when it names none (also for text that is not a reference).
     */
    RefInfo lookupRef(String ref);

    /** The XenAPI version string the CLI logs in with ({@code 2.21}). */
    String apiVersion();

    /** A transport of its own connections, closed when done. */
    interface RemoteTransport extends Transport, AutoCloseable {
        @Override
        void close();
    }

    /**
     * A transport to the xapi at {@code address} (another pool's master, or this pool's), as xe's storage migration
     * reaches {@code remote-master}: XML-RPC over TLS without certificate checks.
     */
    RemoteTransport remote(String address);
}
