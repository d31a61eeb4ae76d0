package org.xapijava.server.it;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Types;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.util.Map;
import org.apache.xmlrpc.client.XmlRpcClient;

/**
 * The Citrix SDK's own connection, opened up so that a test can send calls the generated bindings
 * never send (wrong arity, unknown names) through the SDK's transport and get the SDK's own typed
 * exceptions back ({@code Types.checkResponse}, package-private in the SDK, reached by reflection), or
 * the raw reply through the same Apache XML-RPC transport and configuration.
 */
final class RawConnection extends Connection {
    private static final Method CHECK_RESPONSE;

    static {
        try {
            CHECK_RESPONSE = Types.class.getDeclaredMethod("checkResponse", Map.class);
            CHECK_RESPONSE.setAccessible(true);
        } catch (NoSuchMethodException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The SDK's transport (Apache XML-RPC) with the SDK's own configuration, for unchecked replies. */
    private final XmlRpcClient plain = new XmlRpcClient();

    RawConnection(URL url) {
        super(url);
        plain.setConfig(getConfig());
    }

    /** The raw XML-RPC reply of {@code method(params)} (normally a {@code Status} struct), unchecked. */
    Object rawCall(String method, Object... params) throws Exception {
        return plain.execute(method, params);
    }

    /**
     * The {@code ErrorDescription} of the reply to {@code method(params)}.
     *
     * @throws AssertionError if the reply is not a {@code Failure}
     */
    @SuppressWarnings("unchecked")
    java.util.List<String> failure(String method, Object... params) throws Exception {
        Map<String, Object> reply = (Map<String, Object>) rawCall(method, params);
        if (!"Failure".equals(reply.get("Status"))) throw new AssertionError(method + ": not a failure: " + reply);
        java.util.List<String> out = new java.util.ArrayList<>();
        for (Object o : (Object[]) reply.get("ErrorDescription")) out.add((String) o);
        return out;
    }

    /**
     * Calls {@code method(params)} and returns its {@code Value}; a {@code Failure} is thrown as the
     * SDK's typed exception ({@link Types.XenAPIException} subclasses).
     */
    @SuppressWarnings("unchecked")
    Object call(String method, Object... params) throws Exception {
        Map<String, Object> reply = dispatch(method, params);
        try {
            CHECK_RESPONSE.invoke(null, reply);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception x) throw x;
            throw e;
        }
        return reply.get("Value");
    }
}
