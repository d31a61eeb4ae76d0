package org.xapijava.xenopsd;

import org.xapijava.xenopsd.internal.Rpc;

/**
 * xenopsd's {@code disk} ({@code ocaml/xapi-idl/xen/xenops_types.ml}, {@code TopLevel.disk}): a local path
 * ({@code ["Local", path]}) or a VDI named {@code "<sr-uuid>/<vdi-location>"} ({@code ["VDI", "sr/location"]}).
 */
public sealed interface Disk permits Disk.Local, Disk.Vdi {

    /** {@code Local path}: a path to a local block device or file. */
    record Local(String path) implements Disk {
        public Local {
            java.util.Objects.requireNonNull(path);
        }
    }

    /** {@code VDI "sr/location"}: storage attached through the storage interface. */
    record Vdi(String srAndLocation) implements Disk {
        public Vdi {
            java.util.Objects.requireNonNull(srAndLocation);
        }

        /** The {@code "sr/location"} form from its two parts. */
        public static Vdi of(String sr, String location) {
            return new Vdi(sr + "/" + location);
        }
    }

    default Object toRpc() {
        return switch (this) {
            case Local l -> Rpc.tag("Local", l.path());
            case Vdi v -> Rpc.tag("VDI", v.srAndLocation());
        };
    }

    static Disk fromRpc(Object v) {
        Rpc.Tag t = Rpc.variant(v);
        if (t.is("Local")) return new Local(Rpc.string(t.contents()));
        if (t.is("VDI")) return new Vdi(Rpc.string(t.contents()));
        throw new org.xapijava.xenopsd.internal.RpcDecodeException("Unknown tag '" + t.name() + "'");
    }
}
