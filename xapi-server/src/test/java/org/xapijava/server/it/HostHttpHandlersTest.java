package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Message;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.Datamodel;
import org.xapijava.model.rbac.Rbac;
import org.xapijava.server.TestHost;

/**
 * The host's own HTTP handlers over real HTTP: {@code PUT /messages} (Xapi's message forwarding: messages kept with
 * their ref, uuid and timestamp, Xapi's 400/500 refusals, a malformed body storing nothing) and
 * {@code GET /audit_log} (the RBAC audit lines of allowed and denied calls, {@code since}), each with 401 without
 * credentials and 403 for a session without the action's role.
 */
class HostHttpHandlersTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private static HttpResponse<String> put(TestHost host, String pathAndQuery, String body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(host.uri(pathAndQuery))
                        .PUT(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(TestHost host, String pathAndQuery) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(host.uri(pathAndQuery)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** One message as Xapi's {@code to_xml} writes it (with the XML declaration of {@code Dtd None}). */
    private static String messageXml(String ref, String uuid, String name, String objUuid, String ts, String body) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<message><ref>" + ref + "</ref><name>" + name
                + "</name><priority>3</priority><cls>VM</cls><obj_uuid>" + objUuid + "</obj_uuid><timestamp>" + ts
                + "</timestamp><uuid>" + uuid + "</uuid><body>" + body + "</body></message>";
    }

    /** A session of {@code role} (its permissions set as an external user's would be). */
    private static Connection withRole(TestHost host, String role) throws Exception {
        Connection reader = LifecycleSupport.login(host);
        Rbac rbac = Rbac.of(Datamodel.get());
        host.server.services().db().transact(tx -> {
            String rs = reader.getSessionReference();
            tx.set("session", rs, "is_local_superuser", false);
            tx.set("session", rs, "rbac_permissions", rbac.permissionsOf(role));
            tx.set("session", rs, "auth_user_sid", "S-1-5-21-" + role);
            tx.set("session", rs, "auth_user_name", "user-" + role);
        });
        return reader;
    }

    @Test
    void messagesPutByAnotherHostAreKeptWithTheirRefUuidAndTime() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            String s = "session_id=" + c.getSessionReference();
            VM vm = LifecycleSupport.newVm(host, c, "about");
            String vmUuid = vm.getUuid(c);
            String ref1 = "OpaqueRef:" + UUID.randomUUID();
            String ref2 = "OpaqueRef:" + UUID.randomUUID();
            String uuid1 = UUID.randomUUID().toString();
            String uuid2 = UUID.randomUUID().toString();
            String body = messageXml(ref1, uuid1, "VM_SNAPSHOTTED", vmUuid, "20240319T04:16:24Z", "a &amp; b &lt;c&gt;")
                    + messageXml(ref2, uuid2, "VM_STARTED", vmUuid, "20240320T05:00:00Z", "");
            String q = "/messages?" + s + "&cls=VM&uuid=" + vmUuid;

            HttpResponse<String> ok = put(host, q, body);
            assertEquals(200, ok.statusCode());
            Message m1 = Message.getByUuid(c, uuid1);
            assertEquals(ref1, m1.toWireString());
            Message.Record r1 = m1.getRecord(c);
            assertEquals("VM_SNAPSHOTTED", r1.name);
            assertEquals(3L, r1.priority);
            assertEquals(Types.Cls.VM, r1.cls);
            assertEquals(vmUuid, r1.objUuid);
            assertEquals("a & b <c>", r1.body);
            assertEquals(Date.from(Instant.parse("2024-03-19T04:16:24Z")), r1.timestamp);
            assertEquals(ref2, Message.getByUuid(c, uuid2).toWireString());
            int held = Message.getAll(c).size();

            // the same messages again: refs already held are skipped
            assertEquals(200, put(host, q, body).statusCode());
            assertEquals(held, Message.getAll(c).size());

            // Xapi's refusals before the body: 400 without uuid or cls, 500 for an unknown class or object
            assertEquals(400, put(host, "/messages?" + s + "&cls=VM", body).statusCode());
            assertEquals(
                    400, put(host, "/messages?" + s + "&uuid=" + vmUuid, body).statusCode());
            HttpResponse<String> badCls = put(host, "/messages?" + s + "&cls=Nonsense&uuid=" + vmUuid, body);
            assertEquals(500, badCls.statusCode());
            assertTrue(badCls.body().contains("Xapi_message.handler: Bad class Nonsense"), badCls.body());
            String unknown = UUID.randomUUID().toString();
            HttpResponse<String> badUuid = put(host, "/messages?" + s + "&cls=VM&uuid=" + unknown, body);
            assertEquals(500, badUuid.statusCode());
            assertTrue(badUuid.body().contains("Bad uuid " + unknown), badUuid.body());

            // a body with one malformed message stores none of them; the caller's task says why
            String uuid3 = UUID.randomUUID().toString();
            String bad = messageXml("OpaqueRef:" + UUID.randomUUID(), uuid3, "X", vmUuid, "20240101T00:00:00Z", "")
                    + "<message><ref>OpaqueRef:x</ref><priority>high</priority></message>";
            Task task = Task.create(c, "put messages", "");
            HttpResponse<String> malformed = put(host, q + "&task_id=" + task.toWireString(), bad);
            assertEquals(200, malformed.statusCode());
            Task.Record tr = LifecycleSupport.awaitTask(host, c, task);
            assertEquals(Types.TaskStatusType.FAILURE, tr.status);
            List<String> info = List.copyOf(tr.errorInfo);
            assertTrue(info.contains("INTERNAL_ERROR"), info.toString());
            assertTrue(info.stream().anyMatch(i -> i.contains("message 2")), info.toString());
            assertThrows(Types.UuidInvalid.class, () -> Message.getByUuid(c, uuid3));
            assertEquals(held, Message.getAll(c).size());

            // a good PUT completes the caller's task
            Task done = Task.create(c, "put messages", "");
            String uuid4 = UUID.randomUUID().toString();
            assertEquals(
                    200,
                    put(
                                    host,
                                    q + "&task_id=" + done.toWireString(),
                                    messageXml(
                                            "OpaqueRef:" + UUID.randomUUID(),
                                            uuid4,
                                            "Y",
                                            vmUuid,
                                            "20240101T00:00:00Z",
                                            "y"))
                            .statusCode());
            assertEquals(Types.TaskStatusType.SUCCESS, LifecycleSupport.awaitTask(host, c, done).status);
            assertEquals("y", Message.getByUuid(c, uuid4).getRecord(c).body);

            // credentials: none is 401 with the action as realm; read-only is 403 (vm-power-admin needed)
            HttpResponse<String> anonymous = put(host, "/messages?cls=VM&uuid=" + vmUuid, body);
            assertEquals(401, anonymous.statusCode());
            assertEquals(
                    "Basic realm=\"put_messages\"",
                    anonymous.headers().firstValue("www-authenticate").orElse(""));
            Connection reader = withRole(host, "read-only");
            String rq = "/messages?session_id=" + reader.getSessionReference() + "&cls=VM&uuid=" + vmUuid;
            assertEquals(403, put(host, rq, body).statusCode());
            Connection power = withRole(host, "vm-power-admin");
            String uuid5 = UUID.randomUUID().toString();
            String pq = "/messages?session_id=" + power.getSessionReference() + "&cls=VM&uuid=" + vmUuid;
            assertEquals(
                    200,
                    put(
                                    host,
                                    pq,
                                    messageXml(
                                            "OpaqueRef:" + UUID.randomUUID(),
                                            uuid5,
                                            "Z",
                                            vmUuid,
                                            "20240101T00:00:00Z",
                                            ""))
                            .statusCode());
            assertEquals("Z", Message.getByUuid(c, uuid5).getRecord(c).name);
        }
    }

    @Test
    void theAuditLogHoldsAllowedAndDeniedCallsAndIsServedSince() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            String s = "session_id=" + c.getSessionReference();
            VM vm = LifecycleSupport.newVm(host, c, "audited");
            vm.setNameLabel(c, "it's audited");
            vm.getRecord(c); // a getter: not audited
            Connection reader = withRole(host, "read-only");
            assertThrows(Types.RbacPermissionDenied.class, () -> vm.setNameDescription(reader, "no"));
            assertThrows(
                    Types.HandleInvalid.class,
                    () -> Types.toVM("OpaqueRef:nope").cleanShutdown(c));

            HttpResponse<String> all = get(host, "/audit_log?" + s);
            assertEquals(200, all.statusCode());
            assertEquals("text/plain", all.headers().firstValue("content-type").orElse(""));
            List<String> lines = all.body().lines().toList();
            String trackRoot =
                    "'trackid=" + org.xapijava.server.session.SessionManager.trackId(c.getSessionReference()) + "'";
            String setName = lines.stream()
                    .filter(l -> l.contains("'VM.set_name_label'"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(all.body()));
            assertTrue(
                    setName.contains(trackRoot + " 'LOCAL_SUPERUSER' 'root' 'ALLOWED' 'OK' 'API' 'VM.set_name_label' "
                            + "(('self' 'it\\'s audited' '" + vm.getUuid(c) + "' '" + vm.toWireString() + "')))"),
                    setName);
            assertTrue(
                    setName.matches(
                            "^\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\S+ xapi: \\[\\d{8}T\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\|audit\\|.*"),
                    setName);
            assertTrue(
                    lines.stream()
                            .anyMatch(l -> l.contains("'S-1-5-21-read-only' 'user-read-only' 'DENIED' '' 'API' "
                                    + "'VM.set_name_description'")),
                    all.body());
            assertTrue(
                    lines.stream()
                            .anyMatch(l -> l.contains("'ALLOWED' 'ERROR:HANDLE_INVALID' 'API' 'VM.clean_shutdown'")),
                    all.body());
            assertFalse(all.body().contains("'VM.get_record'"), "getters are not audited");
            // the HTTP action itself is audited
            assertTrue(get(host, "/audit_log?" + s).body().contains("'ALLOWED' 'OK' 'HTTP' 'http/get_audit_log' ()"));

            // since: ISO 8601 or the log's form; a time after every line gives nothing
            assertEquals(
                    "",
                    get(host, "/audit_log?" + s + "&since=2999-01-01T00:00:00Z").body());
            String first = lines.get(0);
            String ts = first.substring(first.indexOf('[') + 1, first.indexOf('[') + 22);
            List<String> fromFirst =
                    get(host, "/audit_log?" + s + "&since=" + ts).body().lines().toList();
            assertEquals(lines, fromFirst.subList(0, lines.size()), "oldest first, new lines after");
            String later = setName.substring(setName.indexOf('[') + 1, setName.indexOf('[') + 22);
            String iso = later.substring(0, 4) + "-" + later.substring(4, 6) + "-" + later.substring(6) + "Z";
            List<String> since = get(host, "/audit_log?" + s + "&since=" + iso)
                    .body()
                    .lines()
                    .toList();
            assertTrue(since.contains(setName), since.toString());
            for (String l : lines) {
                String t = l.substring(l.indexOf('[') + 1, l.indexOf('[') + 22);
                assertEquals(t.compareTo(later) >= 0, since.contains(l), l);
            }

            // pool.audit_log_append: a member's line, kept as it is
            String memberLine =
                    "Dec  6 16:05:01 member1 xapi: [20261206T16:05:01.123Z|audit|member1|7 t|VM.start|audit]"
                            + " ('trackid=x' 'LOCAL_SUPERUSER' 'root' 'ALLOWED' 'OK' 'API' 'VM.start' ())";
            String poolSession = (String) host.ok(
                    "session.slave_login",
                    host.server.services().hostRef(),
                    Files.readString(dir.resolve("ptoken")).strip());
            host.ok("pool.audit_log_append", poolSession, memberLine); // pool-internal, not in the SDK
            assertTrue(get(host, "/audit_log?" + s).body().lines().anyMatch(memberLine::equals));

            // xe audit-log-get downloads it into a file
            Path home = Files.createDirectories(dir.resolve("xe-home"));
            Path got = dir.resolve("audit-copy.log");
            String printed = org.xapijava.server.cli.XeRun.ok(
                    host, home, "audit-log-get", "filename=" + got, "since=2000-01-01T00:00:00Z");
            assertEquals("audit-log-get (since \"2000-01-01T00:00:00Z\") into file " + got + " succeeded\n", printed);
            assertTrue(Files.readString(got).lines().anyMatch(l -> l.contains("'VM.set_name_label'")));

            // read-only may read it; no credentials: 401 with the action as realm
            assertEquals(
                    200,
                    get(host, "/audit_log?session_id=" + reader.getSessionReference())
                            .statusCode());
            HttpResponse<String> anonymous = get(host, "/audit_log");
            assertEquals(401, anonymous.statusCode());
            assertEquals(
                    "Basic realm=\"get_audit_log\"",
                    anonymous.headers().firstValue("www-authenticate").orElse(""));
        }
    }
}
