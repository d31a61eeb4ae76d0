package org.xapijava.xenopsd.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.model.rpc.RpcCall;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.xmlrpc.XmlRpcParseException;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;

/**
 * How xenopsd calls travel as XML-RPC, as ocaml-rpc's {@code Idl} client and server do it:
 * <ul>
 *   <li>Every parameter of xenopsd's interface is named, so a call has exactly one XML-RPC param: a struct of
 *       the named arguments. The client builds it by consing each argument in front, so the members come in
 *       reverse order ({@code VM.start}: {@code paused, id, debug_info}). An option argument is left out for
 *       None and holds the value itself for Some.</li>
 *   <li>A call without arguments past {@code debug_info} still passes {@code unit} as the member
 *       {@code "unit"} with value nil when the interface declares a unit parameter ({@code query},
 *       {@code VM.list}, {@code DEBUG.shutdown}).</li>
 *   <li>The answer is {@code {Status: "Success", Value: v}} or {@code {Status: "Failure", ErrorDescription: e}}
 *       where {@code e} is the xenopsd error variant (not Xapi's string array).</li>
 * </ul>
 * The XML itself is written and read by xapi-model's codec, which follows ocaml-rpc's {@code Xmlrpc}
 * ({@code strict=false}: ints as untyped {@code <value>42</value>}). Stateless.
 */
public final class Wire {
    private Wire() {}

    /** The wire name of the argument xenopsd's interface gives every call first. */
    public static final String DEBUG_INFO = "debug_info";

    /** One named argument of a call; {@code option} arguments with a {@code null} value are left out. */
    public record Arg(String name, Object value, boolean option) {
        public static Arg of(String name, Object value) {
            return new Arg(name, value, false);
        }

        public static Arg opt(String name, Object someOrNull) {
            return new Arg(name, someOrNull, true);
        }

        public static Arg unit() {
            return new Arg("unit", null, false);
        }
    }

    /** The {@code methodCall} document of a call with {@code dbg} first and then {@code args} in order. */
    public static byte[] encodeCall(String method, String dbg, List<Arg> args) {
        Map<String, Object> named = new LinkedHashMap<>();
        for (int i = args.size() - 1; i >= 0; i--) {
            Arg a = args.get(i);
            if (a.option() && a.value() == null) continue;
            named.put(a.name(), a.value());
        }
        named.put(DEBUG_INFO, dbg);
        List<Object> params = new ArrayList<>(1);
        params.add(named);
        return XmlRpcWriter.call(method, params);
    }

    public static RpcCall decodeCall(byte[] body) throws XmlRpcParseException {
        return CALLS.readCall(body);
    }

    /** Requests are small; 16 MiB is far beyond any real metadata document. */
    private static final XmlRpcReader CALLS = new XmlRpcReader(new XmlRpcReader.Limits(16L << 20, 64));

    public static RpcResponse decodeResponse(byte[] body) throws XmlRpcParseException {
        return XmlRpcReader.RESPONSES.readResponse(body);
    }

    public static byte[] encodeSuccess(Object value) {
        return XmlRpcWriter.success(value);
    }

    /** {@code Rpc.failure contents} as ocaml-rpc's {@code Xmlrpc.string_of_response} writes it. */
    public static byte[] encodeFailure(Object contents) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("Status", "Failure");
        m.put("ErrorDescription", contents);
        return XmlRpcWriter.bare(m);
    }
}
