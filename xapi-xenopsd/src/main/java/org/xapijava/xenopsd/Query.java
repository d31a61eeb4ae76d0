package org.xapijava.xenopsd;

import java.util.ArrayList;
import java.util.List;
import org.xapijava.xenopsd.internal.Rpc;

/**
 * The answer of {@code query}: {@code Query.t} ({@code ocaml/xapi-idl/xen/xenops_interface.ml}).
 *
 * @param instanceId unique to one run of the daemon (a new one after a restart)
 */
public record Query(String name, String vendor, String version, List<String> features, String instanceId) {

    public Query {
        features = List.copyOf(features);
    }

    public Object toRpc() {
        return Rpc.struct()
                .put("name", name)
                .put("vendor", vendor)
                .put("version", version)
                .put("features", new ArrayList<Object>(features))
                .put("instance_id", instanceId)
                .build();
    }

    public static Query fromRpc(Object v) {
        Rpc.Fields f = Rpc.fields(v, "t");
        return new Query(
                f.req("name", Rpc::string),
                f.req("vendor", Rpc::string),
                f.req("version", Rpc::string),
                f.req("features", x -> Rpc.list(x, Rpc::string)),
                f.req("instance_id", Rpc::string));
    }
}
