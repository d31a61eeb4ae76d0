package org.xapijava.server.xenops;

import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.XenopsError;
import org.xapijava.xenopsd.XenopsProtocolException;
import org.xapijava.xenopsd.XenopsUnavailableException;

/**
 * How a xenopsd failure reaches a XenAPI client: {@code transform_xenops_exn} of
 * {@code ocaml/xapi/xapi_xenops.ml} for the errors xenopsd answers, and, for a daemon that cannot be
 * reached, the {@code INTERNAL_ERROR} Xapi's catch-all ({@code ExnHelper.error_of_exn}) makes of the OCaml
 * exception its HTTP client raises. Stateless.
 */
public final class XenopsErrors {
    private XenopsErrors() {}

    /** The lookups the mapping needs: VM refs of VM uuids, and the xapi task bound to a xenopsd task. */
    public interface Lookups {
        /** {@code Db.VM.get_by_uuid}: the VM's ref; throws {@code UUID_INVALID} when there is none. */
        String vmOfUuid(String uuid);

        /** The xapi task bound to xenopsd task {@code id}, or null. */
        String taskOfXenopsTask(String id);
    }

    /**
     * The XenAPI error for a xenopsd error met while working on {@code vm} (Xapi's
     * {@code transform_xenops_exn}).
     */
    public static ApiError transform(XenopsError e, String vm, Lookups l) {
        List<Object> a = e.args();
        return switch (e.code()) {
            case "Internal_error" -> internal("xenopsd internal error: " + a.get(0));
            case "Already_exists" ->
                internal("Object with type " + a.get(0) + " and id " + a.get(1) + " already exists in xenopsd");
            case "Does_not_exist" ->
                internal("Object with type " + a.get(0) + " and id " + a.get(1) + " does not exist in xenopsd");
            case "Unimplemented" -> new ApiError("NOT_IMPLEMENTED", (String) a.get(0));
            case "Domain_not_built" -> internal("domain has not been built");
            case "Invalid_vcpus" ->
                internal("the maximum number of vcpus configured for this VM is currently: " + a.get(0));
            // Xapi lists expected before found here, in the states' datamodel spelling (Record_util)
            case "Bad_power_state" ->
                new ApiError("VM_BAD_POWER_STATE", vm, ((PowerState) a.get(1)).name(), ((PowerState) a.get(0)).name());
            case "Failed_to_acknowledge_shutdown_request" -> new ApiError("VM_FAILED_SHUTDOWN_ACKNOWLEDGMENT", vm);
            case "Failed_to_acknowledge_suspend_request" -> new ApiError("VM_FAILED_SUSPEND_ACKNOWLEDGMENT", vm);
            case "Failed_to_shutdown" ->
                new ApiError("VM_SHUTDOWN_TIMEOUT", l.vmOfUuid((String) a.get(0)), ocamlFloat((Double) a.get(1)));
            case "Failed_to_suspend" ->
                new ApiError("VM_SUSPEND_TIMEOUT", l.vmOfUuid((String) a.get(0)), ocamlFloat((Double) a.get(1)));
            case "Device_is_connected" -> internal("Cannot remove device because it is connected to a VM");
            case "Device_not_connected" -> internal("Device is not connected");
            case "Device_detach_rejected" ->
                new ApiError("DEVICE_DETACH_REJECTED", (String) a.get(0), (String) a.get(1), (String) a.get(2));
            case "Media_not_ejectable" -> internal("the media in this drive cannot be ejected");
            case "Media_present" -> internal("there is already media in this drive");
            case "Media_not_present" -> internal("there is no media in this drive");
            case "No_bootable_device" -> internal("there is no bootable device");
            case "Bootloader_error" ->
                new ApiError("BOOTLOADER_FAILED", l.vmOfUuid((String) a.get(0)), (String) a.get(1));
            case "Cannot_free_this_much_memory" ->
                new ApiError(
                        "HOST_NOT_ENOUGH_FREE_MEMORY",
                        a.get(0).toString(),
                        a.get(1).toString());
            case "Vms_failed_to_cooperate" -> {
                List<String> refs = new ArrayList<>();
                for (Object uuid : (List<?>) a.get(0)) refs.add(l.vmOfUuid((String) uuid));
                yield new ApiError("VMS_FAILED_TO_COOPERATE", refs);
            }
            case "IO_error" -> new ApiError("VDI_IO_ERROR", "I/O error saving VM suspend image");
            case "Failed_to_contact_remote_service" -> new ApiError("VM_MIGRATE_CONTACT_REMOTE_SERVICE_FAILED");
            case "Hook_failed" ->
                new ApiError(
                        "XAPI_HOOK_FAILED", (String) a.get(0), (String) a.get(1), (String) a.get(2), (String) a.get(3));
            case "Not_enough_memory" -> internal("there was not enough memory (needed " + a.get(0) + " bytes)");
            case "Cancelled" -> {
                String task = l.taskOfXenopsTask((String) a.get(0));
                yield new ApiError("TASK_CANCELLED", task == null ? Refs.NULL : task);
            }
            case "Storage_backend_error" -> {
                @SuppressWarnings("unchecked")
                List<String> params = (List<String>) a.get(1);
                yield new ApiError((String) a.get(0), params);
            }
            case "PCIBack_not_loaded" -> internal("pciback has not loaded");
            case "Failed_to_start_emulator" ->
                new ApiError("FAILED_TO_START_EMULATOR", l.vmOfUuid((String) a.get(0)), (String) a.get(1), (String)
                        a.get(2));
            case "Ballooning_timeout_before_migration" -> new ApiError("BALLOONING_TIMEOUT_BEFORE_MIGRATION", vm);
            case "Failed_to_run_script" -> new ApiError("XENAPI_PLUGIN_FAILURE", (String) a.get(0));
            default -> internal("Unknown error returned from xenopsd"); // Unknown_error
        };
    }

    private static ApiError internal(String message) {
        return ApiError.internal(message);
    }

    /**
     * A daemon that cannot be reached: {@code INTERNAL_ERROR} with what {@code Printexc.to_string} shows of
     * the exception Xapi's {@code Xcp_client.http_rpc} raises: {@code Unix.Unix_error(Unix.ENOENT,
     * "connect", "")} for a missing socket, {@code ECONNREFUSED} for a socket nobody listens on, and
     * {@code Failure("Failed to read HTTP response from: file:<socket>")} for a connection that broke.
     * A call that timed out (Xapi would wait for ever) says so.
     */
    public static ApiError unavailable(XenopsUnavailableException e, Path socket) {
        if (e instanceof org.xapijava.xenopsd.XenopsTimeoutException)
            return internal("xenopsd did not answer in time: " + e.getMessage());
        String causes = causeText(e).toLowerCase(Locale.ROOT);
        if (e.getMessage() != null && e.getMessage().startsWith("cannot connect")) {
            if (causes.contains("no such file") || causes.contains("nosuchfile")) return internal(unixError("ENOENT"));
            if (causes.contains("refused")) return internal(unixError("ECONNREFUSED"));
            return internal(unixError("ECONNREFUSED"));
        }
        return internal("Failure(\"Failed to read HTTP response from: file:" + socket + "\")");
    }

    /** A xenopsd answer that makes no sense (ocaml-rpc's unmarshalling failure). */
    public static ApiError protocol(XenopsProtocolException e) {
        return internal(String.valueOf(e.getMessage()));
    }

    private static String unixError(String code) {
        return "Unix.Unix_error(Unix." + code + ", \"connect\", \"\")";
    }

    private static String causeText(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause())
            b.append(c.getClass().getSimpleName())
                    .append(' ')
                    .append(c.getMessage())
                    .append(';');
        return b.toString();
    }

    /**
     * Maps any exception from a xenopsd interaction: xenopsd errors through {@link #transform}, transport
     * failures through {@link #unavailable}; XenAPI errors pass through; anything else is returned as is.
     */
    public static RuntimeException map(RuntimeException e, String vm, Lookups l, Path socket) {
        return switch (e) {
            case XenopsError x -> transform(x, vm, l);
            case XenopsUnavailableException u -> unavailable(u, socket);
            case XenopsProtocolException p -> protocol(p);
            default -> e;
        };
    }

    /** OCaml's {@code string_of_float}: {@code %.12g}, with a trailing dot when that looks like an integer. */
    public static String ocamlFloat(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        String s = formatG12(d);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '-' && (c < '0' || c > '9')) return s;
        }
        return s + ".";
    }

    /** C's {@code %.12g}. */
    private static String formatG12(double d) {
        if (d == 0) return (1 / d < 0) ? "-0" : "0";
        BigDecimal v = new BigDecimal(d).round(new MathContext(12));
        int exp = v.precision() - v.scale() - 1;
        if (exp < -4 || exp >= 12) {
            BigDecimal mant = v.movePointLeft(exp).stripTrailingZeros();
            String m = mant.toPlainString();
            String e = (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
            return m + "e" + e;
        }
        String p = v.stripTrailingZeros().toPlainString();
        return p;
    }

    /** A {@link Lookups} over plain functions. */
    public static Lookups lookups(Function<String, String> vmOfUuid, Function<String, String> taskOfXenopsTask) {
        return new Lookups() {
            @Override
            public String vmOfUuid(String uuid) {
                return vmOfUuid.apply(uuid);
            }

            @Override
            public String taskOfXenopsTask(String id) {
                return taskOfXenopsTask.apply(id);
            }
        };
    }
}
