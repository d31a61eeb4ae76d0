package org.xapijava.server.storage.rpc;

import java.util.List;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.RpcValues;
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
        this(name + " " + arg, null, List.of(name, arg));
    }

    /** {@code unused} only tells this constructor apart from the one taking a variant's name and argument. */
    private StorageError(String message, Void unused, Object value) {
        super(message, null, false, false);
        this.value = value;
    }

    /** An error variant as another host's storage interface answered it (its {@code ErrorDescription}). */
    public static StorageError of(Object value) {
        return new StorageError(RpcValues.debugString(value), null, value);
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

    /** {@code Vdi_does_not_exist vdi}: no VDI of that location in the SR. */
    public static StorageError vdiDoesNotExist(String vdi) {
        return new StorageError("Vdi_does_not_exist", vdi);
    }

    /** {@code Content_ids_do_not_match (vdi1, vdi2)}: two disks said to hold the same data do not. */
    public static StorageError contentIdsDoNotMatch(String vdi1, String vdi2) {
        return new StorageError("Content_ids_do_not_match", List.of(vdi1, vdi2));
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

    /** The variant's name ({@code Unknown_error} for a value that is not a variant, as ocaml-rpc reads it). */
    public String variant() {
        if (value instanceof String s) return s;
        if (value instanceof List<?> l && !l.isEmpty() && l.getFirst() instanceof String s) return s;
        return "Unknown_error";
    }

    /**
     * The XenAPI error {@code VM.migrate_send} makes of it ({@code xapi_vm_migrate.ml}): {@code Backend_error (code,
     * params)} is {@code code [params]}, {@code Unimplemented name} {@code UNIMPLEMENTED_IN_SM_BACKEND [name]}, any
     * other the exception's text in an {@code INTERNAL_ERROR}.
     */
    public ApiError toApiError() {
        if (value instanceof List<?> l && l.size() == 2) {
            if ("Backend_error".equals(l.get(0))
                    && l.get(1) instanceof List<?> b
                    && b.size() == 2
                    && b.get(0) instanceof String code
                    && b.get(1) instanceof List<?> ps) {
                return new ApiError(code, ps.stream().map(String::valueOf).toList());
            }
            if ("Unimplemented".equals(l.get(0)) && l.get(1) instanceof String name) {
                return new ApiError(ErrorCodes.UNIMPLEMENTED_IN_SM_BACKEND, name);
            }
        }
        return ApiError.internal("Storage_error (" + RpcValues.debugString(value) + ")");
    }
}
