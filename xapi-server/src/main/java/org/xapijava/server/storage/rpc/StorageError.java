package org.xapijava.server.storage.rpc;

import java.util.List;
import org.xapijava.storage.DpState;

/**
 * One of xcp-idl's {@code Storage_interface.Errors.error} variants, as the storage interface answers it over
 * XML-RPC: the variant's name and its argument, marshalled as ocaml-rpc marshals a variant ({@code [name, arg]},
 * a tuple as an array). The {@link #value()} is the whole {@code ErrorDescription} value.
 */
public final class StorageError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Object value;

    private StorageError(String name, Object arg) {
        super(name + " " + arg, null, false, false);
        this.value = List.of(name, arg);
    }

    /** {@code Backend_error (code, params)}: a driver's (or xapi's) error, as {@code SR_BACKEND_FAILURE_<n>}. */
    public static StorageError backend(String code, List<String> params) {
        return new StorageError("Backend_error", List.of(code, List.copyOf(params)));
    }

    /** {@code Illegal_transition (from, to)}: a datapath asked for a state it cannot reach from where it is. */
    public static StorageError illegalTransition(DpState from, DpState to) {
        return new StorageError("Illegal_transition", List.of(from.toRpc(), to.toRpc()));
    }

    /** {@code No_storage_plugin_for_sr sr}: no SR of that uuid is plugged here. */
    public static StorageError noPlugin(String sr) {
        return new StorageError("No_storage_plugin_for_sr", sr);
    }

    /** {@code Unimplemented name}. */
    public static StorageError unimplemented(String name) {
        return new StorageError("Unimplemented", name);
    }

    /** {@code Internal_error text}. */
    public static StorageError internal(String text) {
        return new StorageError("Internal_error", text);
    }

    /** The {@code ErrorDescription} value: {@code [variant, argument]}. */
    public Object value() {
        return value;
    }
}
