package org.xapijava.server.xenops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.errors.ApiError;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.XenopsClient;
import org.xapijava.xenopsd.XenopsError;
import org.xapijava.xenopsd.XenopsUnavailableException;

/** {@code transform_xenops_exn}'s mapping, OCaml float printing, and what an unreachable xenopsd gives. */
class XenopsErrorsTest {
    private static final String VM = "OpaqueRef:vm";
    private static final XenopsErrors.Lookups L = XenopsErrors.lookups(
            uuid -> Map.of("u1", "OpaqueRef:u1", "u2", "OpaqueRef:u2").getOrDefault(uuid, "OpaqueRef:?"),
            id -> id.equals("7") ? "OpaqueRef:task7" : null);

    private static List<String> map(XenopsError e) {
        return XenopsErrors.transform(e, VM, L).description();
    }

    @Test
    void powerStatesAreExpectedThenFoundInTheDatamodelsSpelling() {
        assertEquals(
                List.of("VM_BAD_POWER_STATE", VM, "Halted", "Running"),
                map(XenopsError.badPowerState(PowerState.Running, PowerState.Halted)));
    }

    @Test
    void cancelledNamesTheBoundXapiTaskOrNull() {
        assertEquals(List.of("TASK_CANCELLED", "OpaqueRef:task7"), map(XenopsError.cancelled("7")));
        assertEquals(List.of("TASK_CANCELLED", "OpaqueRef:NULL"), map(XenopsError.cancelled("8")));
    }

    @Test
    void errorsWithTheirOwnXenApiCodes() {
        assertEquals(List.of("NOT_IMPLEMENTED", "VM.foo"), map(XenopsError.unimplemented("VM.foo")));
        assertEquals(
                List.of("VM_SHUTDOWN_TIMEOUT", "OpaqueRef:u1", "1200."),
                map(XenopsError.failedToShutdown("u1", 1200.0)));
        assertEquals(
                List.of("VM_SUSPEND_TIMEOUT", "OpaqueRef:u2", "1.5"),
                map(new XenopsError("Failed_to_suspend", List.of("u2", 1.5))));
        assertEquals(
                List.of("HOST_NOT_ENOUGH_FREE_MEMORY", "100", "42"),
                map(new XenopsError("Cannot_free_this_much_memory", List.of(100L, 42L))));
        assertEquals(
                List.of("SR_BACKEND_FAILURE_44", "", "no space"),
                map(XenopsError.storageBackendError("SR_BACKEND_FAILURE_44", List.of("", "no space"))));
        assertEquals(
                List.of("VMS_FAILED_TO_COOPERATE", "OpaqueRef:u1", "OpaqueRef:u2"),
                map(new XenopsError("Vms_failed_to_cooperate", List.of(List.of("u1", "u2")))));
        assertEquals(
                List.of("DEVICE_DETACH_REJECTED", "VBD", "x", "busy"),
                map(new XenopsError("Device_detach_rejected", List.of("VBD", "x", "busy"))));
        assertEquals(
                List.of("VM_FAILED_SHUTDOWN_ACKNOWLEDGMENT", VM),
                map(XenopsError.failedToAcknowledgeShutdownRequest()));
        assertEquals(
                List.of("VDI_IO_ERROR", "I/O error saving VM suspend image"),
                map(new XenopsError("IO_error", List.of())));
        assertEquals(
                List.of("BOOTLOADER_FAILED", "OpaqueRef:u1", "no kernel"),
                map(new XenopsError("Bootloader_error", List.of("u1", "no kernel"))));
        assertEquals(
                List.of("XENAPI_PLUGIN_FAILURE", "why"), map(new XenopsError("Failed_to_run_script", List.of("why"))));
    }

    @Test
    void theRestAreInternalErrorsWithXapisTexts() {
        assertEquals(
                List.of("INTERNAL_ERROR", "there was not enough memory (needed 1024 bytes)"),
                map(XenopsError.notEnoughMemory(1024)));
        assertEquals(
                List.of("INTERNAL_ERROR", "Object with type VBD and id vm.xvda does not exist in xenopsd"),
                map(XenopsError.doesNotExist("VBD", "vm.xvda")));
        assertEquals(
                List.of("INTERNAL_ERROR", "Object with type VM and id u1 already exists in xenopsd"),
                map(XenopsError.alreadyExists("VM", "u1")));
        assertEquals(List.of("INTERNAL_ERROR", "xenopsd internal error: boom"), map(XenopsError.internalError("boom")));
        assertEquals(List.of("INTERNAL_ERROR", "Device is not connected"), map(XenopsError.deviceNotConnected()));
        assertEquals(
                List.of("INTERNAL_ERROR", "the maximum number of vcpus configured for this VM is currently: 4"),
                map(XenopsError.invalidVcpus(4)));
        assertEquals(
                List.of("INTERNAL_ERROR", "Unknown error returned from xenopsd"),
                map(XenopsError.fromRpc("Something_new")));
    }

    @Test
    void apiErrorsPassThroughTheMapping() {
        ApiError e = new ApiError("VM_IS_TEMPLATE", VM, "start");
        assertSame(e, XenopsErrors.map(e, VM, L, Path.of("/x")));
    }

    @Test
    void ocamlStringOfFloat() {
        assertEquals("1200.", XenopsErrors.ocamlFloat(1200.0));
        assertEquals("0.1", XenopsErrors.ocamlFloat(0.1));
        assertEquals("-3.25", XenopsErrors.ocamlFloat(-3.25));
        assertEquals("1e+20", XenopsErrors.ocamlFloat(1e20));
        assertEquals("1.23456789012e+12", XenopsErrors.ocamlFloat(1234567890123.0));
        assertEquals("1e-05", XenopsErrors.ocamlFloat(0.00001));
        assertEquals("0.", XenopsErrors.ocamlFloat(0.0));
        assertEquals("inf", XenopsErrors.ocamlFloat(Double.POSITIVE_INFINITY));
    }

    @Test
    void anUnreachableDaemonIsTheUnixErrorXapisHttpClientRaises(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("xenopsd");
        try (XenopsClient c = new XenopsClient(missing, Duration.ofSeconds(2), Duration.ofSeconds(2))) {
            XenopsUnavailableException e =
                    org.junit.jupiter.api.Assertions.assertThrows(XenopsUnavailableException.class, () -> c.query("t"));
            assertEquals(
                    List.of("INTERNAL_ERROR", "Unix.Unix_error(Unix.ENOENT, \"connect\", \"\")"),
                    XenopsErrors.unavailable(e, missing).description());
        }
        // a socket file nobody listens on
        Path dead = dir.resolve("dead");
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(dead));
        }
        try (XenopsClient c = new XenopsClient(dead, Duration.ofSeconds(2), Duration.ofSeconds(2))) {
            XenopsUnavailableException e =
                    org.junit.jupiter.api.Assertions.assertThrows(XenopsUnavailableException.class, () -> c.query("t"));
            assertEquals(
                    List.of("INTERNAL_ERROR", "Unix.Unix_error(Unix.ECONNREFUSED, \"connect\", \"\")"),
                    XenopsErrors.unavailable(e, dead).description());
        }
        XenopsUnavailableException broken =
                new XenopsUnavailableException("connection to xenopsd broke during VM.stat: x", null);
        assertEquals(
                List.of("INTERNAL_ERROR", "Failure(\"Failed to read HTTP response from: file:/var/lib/xcp/xenopsd\")"),
                XenopsErrors.unavailable(broken, Path.of("/var/lib/xcp/xenopsd"))
                        .description());
    }
}
