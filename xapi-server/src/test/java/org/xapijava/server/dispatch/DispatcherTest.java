package org.xapijava.server.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/** The dispatcher's stages and their order, with Xapi's exact error parameters. */
class DispatcherTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static String session;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        session = host.login();
    }

    @AfterAll
    static void stop() throws Exception {
        host.close();
    }

    String hostRef() {
        return host.server.services().hostRef();
    }

    @Test
    void parameterCountExcludesTheSession() {
        assertEquals(
                List.of("MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.start", "3", "1"),
                host.err("VM.start", session, "OpaqueRef:NULL"));
        assertEquals(
                List.of("MESSAGE_PARAMETER_COUNT_MISMATCH", "host.get_record", "1", "-1"), host.err("host.get_record"));
    }

    @Test
    void loginTakesTwoThreeOrFourParametersAndIgnoresExtras() {
        String pw = host.server.rootPassword();
        assertTrue(host.ok("session.login_with_password", "root", pw).toString().startsWith("OpaqueRef:"));
        assertTrue(host.ok("session.login_with_password", "root", pw, "2.14")
                .toString()
                .startsWith("OpaqueRef:"));
        assertTrue(host.ok("session.login_with_password", "root", pw, "2.14", "test")
                .toString()
                .startsWith("OpaqueRef:"));
        assertTrue(host.ok("session.login_with_password", "root", pw, "2.14", "test", "extra")
                .toString()
                .startsWith("OpaqueRef:"));
        assertEquals(
                List.of("MESSAGE_PARAMETER_COUNT_MISMATCH", "session.login_with_password", "4", "1"),
                host.err("session.login_with_password", "root"));
    }

    @Test
    void wrongPassword() {
        List<String> e = host.err("session.login_with_password", "root", "not-the-password");
        assertEquals("SESSION_AUTHENTICATION_FAILED", e.get(0));
        assertEquals("root", e.get(1));
        assertEquals(3, e.size());
    }

    @Test
    void unknownMethods() {
        assertEquals(List.of("MESSAGE_METHOD_UNKNOWN", "VM.frobnicate"), host.err("VM.frobnicate"));
        // with parameters, the first is checked as a session first
        assertEquals(List.of("SESSION_INVALID", "OpaqueRef:bogus"), host.err("VM.frobnicate", "OpaqueRef:bogus"));
        assertEquals(List.of("MESSAGE_METHOD_UNKNOWN", "VM.frobnicate"), host.err("Async.VM.frobnicate", session));
        // setters of non-RW fields do not exist
        assertEquals(
                List.of("MESSAGE_METHOD_UNKNOWN", "VM.set_power_state"),
                host.err("VM.set_power_state", session, "OpaqueRef:NULL", "Halted"));
    }

    @Test
    void alternativeNamesResolve() {
        assertEquals(hostRef(), host.ok("session_get_this_host", session, session));
        assertEquals(hostRef(), host.ok("session.get_this_host", session, session));
    }

    @Test
    void typeErrorsComeBeforeTheSessionCheck() {
        List<String> e = host.err("VM.set_is_a_template", "OpaqueRef:bogus", "OpaqueRef:NULL", "true");
        assertEquals("INTERNAL_ERROR", e.get(0));
        assertTrue(e.get(1).contains("Expected bool"), e.toString());
        assertEquals(
                List.of("SESSION_INVALID", "OpaqueRef:bogus"),
                host.err("VM.set_is_a_template", "OpaqueRef:bogus", "OpaqueRef:NULL", true));
    }

    @Test
    void handleAndUuidErrors() {
        assertEquals(
                List.of("HANDLE_INVALID", "VM", "OpaqueRef:nope"),
                host.err("VM.get_record", session, "OpaqueRef:nope"));
        assertEquals(List.of("UUID_INVALID", "VM", "nope"), host.err("VM.get_by_uuid", session, "nope"));
        assertEquals(
                List.of("HANDLE_INVALID", "host", "OpaqueRef:nope"),
                host.err("host.get_name_label", session, "OpaqueRef:nope"));
    }

    @Test
    void gettersSettersAndMaps() {
        String h = hostRef();
        host.ok("host.set_name_description", session, h, "a description");
        assertEquals("a description", host.ok("host.get_name_description", session, h));
        host.ok("host.add_to_other_config", session, h, "k", "v");
        assertEquals(
                List.of("MAP_DUPLICATE_KEY", "host", "other_config", h, "k"),
                host.err("host.add_to_other_config", session, h, "k", "v2"));
        @SuppressWarnings("unchecked")
        Map<String, Object> oc = (Map<String, Object>) host.ok("host.get_other_config", session, h);
        assertEquals("v", oc.get("k"));
        host.ok("host.remove_from_other_config", session, h, "k");
        @SuppressWarnings("unchecked")
        Map<String, Object> rec = (Map<String, Object>) host.ok("host.get_record", session, h);
        assertFalse(((Map<?, ?>) rec.get("other_config")).containsKey("k"));
        assertEquals(h, host.ok("host.get_by_uuid", session, rec.get("uuid")));
        // enum values are checked (and matched case-insensitively)
        assertEquals(
                "INTERNAL_ERROR",
                host.err("network.set_default_locking_mode", session, "OpaqueRef:NULL", "sideways")
                        .get(0));
    }

    @Test
    void unimplementedExplicitMessagesSayNotImplemented() {
        assertEquals(
                List.of("NOT_IMPLEMENTED", "Cluster.get_network"),
                host.err("Cluster.get_network", session, "OpaqueRef:NULL"));
        assertTrue(host.server.messageTable().unimplemented().contains("Cluster.get_network"));
    }

    @Test
    void asyncOnlyWhereTheDatamodelAllowsIt() {
        assertEquals(
                List.of("Fault", "No async mode for this operation (rpc: VM.get_record)"),
                host.err("Async.VM.get_record", session, "OpaqueRef:NULL"));
    }

    @Test
    void asyncCallAnswersATaskThatCompletesWithAnXmlRpcFragment() throws Exception {
        Map<String, Object> rec = new java.util.LinkedHashMap<>();
        rec.put("name_label", "net-async");
        rec.put("name_description", "");
        rec.put("other_config", Map.of());
        String task = (String) host.ok("Async.network.create", session, rec);
        assertTrue(task.startsWith("OpaqueRef:"));
        String status = waitForTask(task);
        assertEquals("success", status);
        String result = (String) host.ok("task.get_result", session, task);
        assertTrue(result.matches("<value>OpaqueRef:[0-9a-f-]+</value>"), result);
        String net = result.substring("<value>".length(), result.length() - "</value>".length());
        assertEquals("net-async", host.ok("network.get_name_label", session, net));
        assertEquals("Async.network.create", host.ok("task.get_name_label", session, task));
        assertEquals(1.0, host.ok("task.get_progress", session, task));
        host.ok("task.destroy", session, task);
        assertEquals(List.of("HANDLE_INVALID", "task", task), host.err("task.get_status", session, task));
    }

    @Test
    void failedAsyncCallRecordsErrorInfo() throws Exception {
        String task = (String) host.ok("Async.network.destroy", session, "OpaqueRef:missing");
        assertEquals("failure", waitForTask(task));
        assertEquals(
                List.of("HANDLE_INVALID", "network", "OpaqueRef:missing"),
                host.ok("task.get_error_info", session, task));
    }

    @Test
    void syncCallsOfAsyncCapableMessagesLeaveNoTaskBehind() {
        int before = host.server.services().db().snapshot().count("task");
        Map<String, Object> rec = Map.of("name_label", "net-sync", "name_description", "", "other_config", Map.of());
        String net = (String) host.ok("network.create", session, rec);
        assertTrue(net.startsWith("OpaqueRef:"));
        assertEquals(before, host.server.services().db().snapshot().count("task"));
        host.ok("network.destroy", session, net);
    }

    @Test
    void constructorIgnoresNonConstructorFieldsAndDefaultsMissingOnes() {
        assertEquals(
                List.of("INTERNAL_ERROR", "Server_helpers.Dispatcher_FieldNotFound(\"other_config\")"),
                host.err("network.create", session, Map.of("name_label", "n")));
        Map<String, Object> rec = Map.of(
                "name_label", "net-ctor", "uuid", "ignored", "PIFs", List.of("OpaqueRef:x"), "other_config", Map.of());
        String net = (String) host.ok("network.create", session, rec);
        assertNotEquals("ignored", host.ok("network.get_uuid", session, net));
        assertEquals(List.of(), host.ok("network.get_PIFs", session, net));
    }

    @Test
    void invalidUtf8ParameterIsRejectedBeforeAnythingElse() {
        String bad = "bad\uD800";
        List<String> e = host.err("host.set_name_label", session, hostRef(), bad);
        assertEquals("INVALID_VALUE", e.get(0));
        assertEquals("Invalid UTF-8 string in parameter", e.get(1));
    }

    @Test
    void listMethodsIsBareAndComplete() {
        Dispatcher.Outcome o = host.call("system.listMethods");
        assertTrue(o.bare());
        @SuppressWarnings("unchecked")
        List<String> names = (List<String>) o.value();
        assertTrue(names.contains("VM.start"));
        assertTrue(names.contains("session.login_with_password"));
        assertTrue(names.contains("VM.get_all_records_where"));
    }

    @Test
    void taskCancelMarksCurrentOperations() {
        String task = (String) host.ok("task.create", session, "t", "d");
        host.ok("task.cancel", session, task);
        @SuppressWarnings("unchecked")
        Map<String, Object> ops = (Map<String, Object>) host.ok("task.get_current_operations", session, task);
        assertEquals(List.of("cancel"), List.copyOf(ops.values()));
        assertTrue(host.server.services().tasks().isCancelling(task));
        host.ok("task.destroy", session, task);
    }

    @Test
    void logoutInvalidatesTheSession() {
        String s = host.login();
        host.ok("session.logout", s);
        assertEquals(List.of("SESSION_INVALID", s), host.err("session.get_this_host", s, s));
    }

    private String waitForTask(String task) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            String status = (String) host.ok("task.get_status", session, task);
            if (!status.equals("pending")) return status;
            if (System.nanoTime() > deadline) throw new AssertionError("task still pending");
            long g = host.server.services().db().generation();
            host.server.services().db().awaitGeneration(g, Duration.ofMillis(200));
        }
    }
}
