package org.xapijava.xenopsd.sim;

import java.util.Objects;
import org.xapijava.model.rpc.RpcCall;
import org.xapijava.model.xmlrpc.XmlRpcParseException;
import org.xapijava.xenopsd.internal.Wire;

/**
 * What the simulator's socket server does with one request body, HTTP aside: decode the XML-RPC call, run it on
 * the {@link Simulator} through the {@link Dispatcher}, encode the answer. A body that is not an XML-RPC call gets
 * an rpc failure ({@code Internal_error}), never an exception. Any HTTP server can sit in front of it
 * ({@link SimulatorServer}; the benchmarks put a Jetty server there to compare).
 *
 * <p>Stateless apart from the simulator; thread-safe.
 */
public final class RpcEndpoint {

    private static final System.Logger LOG = System.getLogger(RpcEndpoint.class.getName());

    /**
     * The answer to one request.
     *
     * @param body           the XML-RPC {@code methodResponse} document
     * @param stopAfterReply the call was {@code DEBUG.shutdown}: answer it, then stop serving
     */
    public record Reply(byte[] body, boolean stopAfterReply) {}

    private final Simulator sim;
    private final Dispatcher dispatcher;

    public RpcEndpoint(Simulator sim) {
        this.sim = Objects.requireNonNull(sim);
        this.dispatcher = new Dispatcher(sim);
    }

    /**
     * Blocks while the simulator is wedged ({@code DEBUG.trigger "wedge"}); a server calls this once a request
     * has been read, before {@link #answer}.
     */
    public void awaitUnwedged() throws InterruptedException {
        sim.awaitUnwedged();
    }

    /** Decodes, runs and encodes one call. */
    public Reply answer(byte[] requestBody) {
        Dispatcher.Outcome o;
        RpcCall call;
        try {
            call = Wire.decodeCall(requestBody);
            o = dispatcher.dispatch(call);
        } catch (XmlRpcParseException e) {
            o = Dispatcher.malformed("Xmlrpc.Parse_error: " + e.getMessage());
        }
        return new Reply(encode(o), o.stopAfterReply());
    }

    private static byte[] encode(Dispatcher.Outcome o) {
        try {
            return o.success() ? Wire.encodeSuccess(o.value()) : Wire.encodeFailure(o.value());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot encode an answer", e);
            return Wire.encodeFailure(
                    Dispatcher.malformed("cannot encode the answer: " + e).value());
        }
    }
}
