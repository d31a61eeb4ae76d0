package org.xapijava.xenopsd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.xapijava.xenopsd.internal.Rpc;

/**
 * A xenopsd error: {@code Xenops_interface.Xenopsd_error of Errors.error}
 * ({@code ocaml/xapi-idl/xen/xenops_interface.ml}). {@link #code()} is the OCaml constructor name (e.g.
 * {@code Bad_power_state}); {@link #args()} its arguments as Java values: strings as {@link String}, {@code int}
 * and {@code int64} as {@link Long}, {@code float} as {@link Double}, {@code power_state} as {@link PowerState},
 * {@code string list} as {@code List<String>}.
 *
 * <p>On the wire it is the failure contents of the response ({@code Rpc.failure}), the variant encoded by
 * ocaml-rpc: {@code "Device_is_connected"}, {@code ["Cancelled", "12"]},
 * {@code ["Bad_power_state", ["Running", "Halted"]]}. An unknown constructor decodes to {@code Unknown_error}
 * (the type's {@code [@@default]}), keeping the text received in the message.
 */
public final class XenopsError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Argument kinds of {@code Errors.error} constructors. */
    private enum K {
        S,
        I,
        L,
        F,
        P,
        SL
    }

    /** Every constructor of {@code Errors.error} in declaration order, with its argument kinds. */
    private static final Map<String, List<K>> SIGNATURES = new LinkedHashMap<>();

    static {
        sig("Already_exists", K.S, K.S);
        sig("Does_not_exist", K.S, K.S);
        sig("Unimplemented", K.S);
        sig("Domain_not_built");
        sig("Invalid_vcpus", K.I);
        sig("Bad_power_state", K.P, K.P);
        sig("Failed_to_acknowledge_shutdown_request");
        sig("Failed_to_acknowledge_suspend_request");
        sig("Failed_to_shutdown", K.S, K.F);
        sig("Failed_to_suspend", K.S, K.F);
        sig("Device_is_connected");
        sig("Device_not_connected");
        sig("Device_detach_rejected", K.S, K.S, K.S);
        sig("Media_not_ejectable");
        sig("Media_present");
        sig("Media_not_present");
        sig("No_bootable_device");
        sig("Bootloader_error", K.S, K.S);
        sig("Cannot_free_this_much_memory", K.L, K.L);
        sig("Vms_failed_to_cooperate", K.SL);
        sig("IO_error");
        sig("Failed_to_contact_remote_service", K.S);
        sig("Hook_failed", K.S, K.S, K.S, K.S);
        sig("Not_enough_memory", K.L);
        sig("Cancelled", K.S);
        sig("Storage_backend_error", K.S, K.SL);
        sig("PCIBack_not_loaded");
        sig("Failed_to_run_script", K.S);
        sig("Failed_to_start_emulator", K.S, K.S, K.S);
        sig("Ballooning_timeout_before_migration");
        sig("Internal_error", K.S);
        sig("Unknown_error");
    }

    private static void sig(String name, K... kinds) {
        SIGNATURES.put(name, List.of(kinds));
    }

    private final String code;
    private final List<Object> args;

    /**
     * @throws IllegalArgumentException when {@code code} is not a constructor of {@code Errors.error} or the
     *                                  arguments do not fit it
     */
    public XenopsError(String code, List<?> args) {
        this(code, checked(code, args), null);
    }

    private XenopsError(String code, List<Object> args, String extra) {
        super(render(code, args) + (extra == null ? "" : " " + extra));
        this.code = code;
        this.args = args;
    }

    private static List<Object> checked(String code, List<?> args) {
        List<K> kinds = SIGNATURES.get(Objects.requireNonNull(code));
        if (kinds == null) throw new IllegalArgumentException("not a xenopsd error: " + code);
        if (kinds.size() != args.size()) {
            throw new IllegalArgumentException(code + " takes " + kinds.size() + " arguments, not " + args.size());
        }
        List<Object> r = new ArrayList<>(args.size());
        for (int i = 0; i < kinds.size(); i++) {
            Object a = args.get(i);
            boolean ok = switch (kinds.get(i)) {
                case S -> a instanceof String;
                case I, L -> a instanceof Long;
                case F -> a instanceof Double;
                case P -> a instanceof PowerState;
                case SL -> a instanceof List<?> l && l.stream().allMatch(String.class::isInstance);
            };
            if (!ok) throw new IllegalArgumentException(code + ": argument " + i + " has the wrong type: " + a);
            r.add(a instanceof List<?> l ? List.copyOf(l) : a);
        }
        return List.copyOf(r);
    }

    /** The OCaml constructor name, e.g. {@code Does_not_exist}. */
    public String code() {
        return code;
    }

    /** The constructor's arguments (see the class comment for their Java types). Unmodifiable. */
    public List<Object> args() {
        return args;
    }

    /** The {@code i}th argument as a string (for string arguments). */
    public String stringArg(int i) {
        return (String) args.get(i);
    }

    public boolean is(String constructor) {
        return code.equals(constructor);
    }

    // ------------------------------------------------------------------------------------------- helpers

    public static XenopsError alreadyExists(String kind, String id) {
        return new XenopsError("Already_exists", List.of(kind, id));
    }

    /** {@code Does_not_exist (kind, id)}; xenopsd's kinds are e.g. {@code "VM"}, {@code "VBD"}, {@code "task"}. */
    public static XenopsError doesNotExist(String kind, String id) {
        return new XenopsError("Does_not_exist", List.of(kind, id));
    }

    public static XenopsError unimplemented(String what) {
        return new XenopsError("Unimplemented", List.of(what));
    }

    public static XenopsError domainNotBuilt() {
        return new XenopsError("Domain_not_built", List.of());
    }

    public static XenopsError invalidVcpus(long n) {
        return new XenopsError("Invalid_vcpus", List.of(n));
    }

    public static XenopsError badPowerState(PowerState found, PowerState expected) {
        return new XenopsError("Bad_power_state", List.of(found, expected));
    }

    public static XenopsError failedToAcknowledgeShutdownRequest() {
        return new XenopsError("Failed_to_acknowledge_shutdown_request", List.of());
    }

    public static XenopsError failedToShutdown(String id, double timeout) {
        return new XenopsError("Failed_to_shutdown", List.of(id, timeout));
    }

    public static XenopsError deviceIsConnected() {
        return new XenopsError("Device_is_connected", List.of());
    }

    public static XenopsError deviceNotConnected() {
        return new XenopsError("Device_not_connected", List.of());
    }

    public static XenopsError mediaNotEjectable() {
        return new XenopsError("Media_not_ejectable", List.of());
    }

    public static XenopsError mediaPresent() {
        return new XenopsError("Media_present", List.of());
    }

    public static XenopsError mediaNotPresent() {
        return new XenopsError("Media_not_present", List.of());
    }

    public static XenopsError noBootableDevice() {
        return new XenopsError("No_bootable_device", List.of());
    }

    public static XenopsError notEnoughMemory(long bytes) {
        return new XenopsError("Not_enough_memory", List.of(bytes));
    }

    public static XenopsError cancelled(String taskId) {
        return new XenopsError("Cancelled", List.of(taskId));
    }

    public static XenopsError storageBackendError(String code, List<String> params) {
        return new XenopsError("Storage_backend_error", List.of(code, params));
    }

    public static XenopsError internalError(String message) {
        return new XenopsError("Internal_error", List.of(message));
    }

    // ------------------------------------------------------------------------------------------- codec

    public Object toRpc() {
        List<K> kinds = SIGNATURES.get(code);
        if (kinds.isEmpty()) return code;
        if (kinds.size() == 1) return Rpc.tag(code, encode(kinds.get(0), args.get(0)));
        List<Object> t = new ArrayList<>(kinds.size());
        for (int i = 0; i < kinds.size(); i++) t.add(encode(kinds.get(i), args.get(i)));
        return Rpc.tag(code, t);
    }

    private static Object encode(K k, Object a) {
        return switch (k) {
            case P -> ((PowerState) a).name();
            case SL -> new ArrayList<Object>((List<?>) a);
            default -> a;
        };
    }

    private static Object decode(K k, Object v) {
        return switch (k) {
            case S -> Rpc.string(v);
            case I, L -> Rpc.int64(v);
            case F -> Rpc.float64(v);
            case P -> PowerState.fromRpc(v);
            case SL -> Rpc.list(v, Rpc::string);
        };
    }

    /**
     * Decodes the failure contents of a xenopsd response. A known constructor with arguments that do not decode
     * gives {@code Internal_error} describing the value; an unknown constructor gives {@code Unknown_error}.
     */
    public static XenopsError fromRpc(Object v) {
        Rpc.Tag t;
        try {
            t = Rpc.variant(v);
        } catch (RuntimeException e) {
            return new XenopsError("Internal_error", List.of("unexpected xenopsd error value " + Rpc.debug(v)), null);
        }
        for (Map.Entry<String, List<K>> e : SIGNATURES.entrySet()) {
            if (!e.getKey().equalsIgnoreCase(t.name())) continue;
            List<K> kinds = e.getValue();
            try {
                List<Object> args = new ArrayList<>(kinds.size());
                if (kinds.size() == 1) {
                    args.add(decode(kinds.get(0), t.contents()));
                } else if (kinds.size() > 1) {
                    List<?> items = Rpc.tuple(t.contents(), kinds.size());
                    for (int i = 0; i < kinds.size(); i++) args.add(decode(kinds.get(i), items.get(i)));
                }
                return new XenopsError(e.getKey(), List.copyOf(args), null);
            } catch (RuntimeException bad) {
                return new XenopsError(
                        "Internal_error",
                        List.of("malformed xenopsd error " + Rpc.debug(v) + ": " + bad.getMessage()),
                        null);
            }
        }
        return new XenopsError("Unknown_error", List.of(), "(received " + Rpc.debug(v) + ")");
    }

    private static String render(String code, List<Object> args) {
        if (args.isEmpty()) return code;
        StringBuilder b = new StringBuilder(code).append('(');
        for (int i = 0; i < args.size(); i++) {
            if (i > 0) b.append(", ");
            b.append(args.get(i));
        }
        return b.append(')').toString();
    }
}
