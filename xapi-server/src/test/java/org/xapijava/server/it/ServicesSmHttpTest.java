package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.text.SimpleDateFormat;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * Xapi's {@code POST /services/SM} on the wire: the host's storage interface over XML-RPC for other hosts, behind
 * the action's authentication ({@code session_id} in the query, RBAC {@code http/post_services_sm}), with
 * {@code SR.update_snapshot_info_dest} and {@code VDI.set_content_id} answered from the database with xcp-idl's
 * errors, in the shape of xcp-idl's test data ({@code SR.update_snapshot_info_dest.request.*}).
 */
class ServicesSmHttpTest {
    @TempDir
    Path dir;

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String FAILURE = "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>"
            + "<member><name>Status</name><value>Failure</value></member><member><name>ErrorDescription</name>";

    private static String member(String name, String value) {
        return "<member><name>" + name + "</name><value>" + value + "</value></member>";
    }

    /** A {@code vdi_info} with the members the call reads (and {@code name_label}, which it needs). */
    private static String vdiInfo(String vdi, String contentId, String snapshotTime) {
        return "<struct>" + member("snapshot_time", snapshotTime) + member("name_label", "disk")
                + member("content_id", contentId) + member("vdi", vdi) + "</struct>";
    }

    private static String updateDest(String sr, String vdi, String srcVdi, String pairs) {
        return "<?xml version=\"1.0\"?><methodCall><methodName>SR.update_snapshot_info_dest</methodName><params>"
                + "<param><value><struct>" + member("snapshot_pairs", "<struct>" + pairs + "</struct>")
                + member("src_vdi", srcVdi) + member("vdi", vdi) + member("sr", sr) + member("dbg", "test")
                + "</struct></value></param></params></methodCall>";
    }

    private static String setContentId(String sr, String vdi, String contentId) {
        return "<?xml version=\"1.0\"?><methodCall><methodName>VDI.set_content_id</methodName><params>"
                + "<param><value><struct>" + member("content_id", contentId) + member("vdi", vdi)
                + member("sr", sr) + member("dbg", "test") + "</struct></value></param></params></methodCall>";
    }

    private static HttpResponse<String> post(TestHost host, String pathAndQuery, String body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(host.uri(pathAndQuery))
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String withRole(TestHost host, String role) throws Exception {
        return LifecycleSupport.loginWithRole(host, role).getSessionReference();
    }

    @Test
    void servicesSmAnswersTheStorageInterfaceToAuthorisedCallers() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            SR sr = Pool.getAll(c).iterator().next().getDefaultSR(c);
            VM vm = LifecycleSupport.newVm(host, c, "services-sm");
            VDI leaf = LifecycleSupport.attachDisk(c, vm, sr, "0", 1L << 20).getVDI(c);
            VDI copy = LifecycleSupport.attachDisk(c, vm, sr, "1", 1L << 20).getVDI(c);
            String srUuid = sr.getUuid(c);
            String leafLoc = leaf.getLocation(c);
            String copyLoc = copy.getLocation(c);
            String when = "20240319T04:16:24Z";
            String call = updateDest(
                    srUuid,
                    leafLoc,
                    vdiInfo("src-leaf", "src-leaf", when),
                    member(copyLoc, vdiInfo("src-snap", "content-1", when)));
            String session = "/services/SM?session_id=" + c.getSessionReference();

            // no credentials, a session that is not one: 401 asking for Basic; a role without the action: 403
            HttpResponse<String> none = post(host, "/services/SM", call);
            assertEquals(401, none.statusCode());
            assertEquals(
                    "Basic realm=\"post_services_sm\"",
                    none.headers().firstValue("WWW-Authenticate").orElse(""));
            assertEquals(
                    401,
                    post(host, "/services/SM?session_id=OpaqueRef:nosuch", call).statusCode());
            assertEquals(
                    403,
                    post(host, "/services/SM?session_id=" + withRole(host, "vm-admin"), call)
                            .statusCode());
            // only /services/SM itself: Xapi's 404 under it
            assertEquals(
                    404,
                    post(host, "/services/SM/other?session_id=" + c.getSessionReference(), call)
                            .statusCode());

            // an SR not plugged here, a VDI not in the SR, content ids that differ: xcp-idl's errors
            String nosr = "00000000-0000-0000-0000-000000000000";
            HttpResponse<String> r = post(
                    host,
                    session,
                    updateDest(nosr, leafLoc, vdiInfo("a", "", when), member(copyLoc, vdiInfo("b", "", when))));
            assertEquals(200, r.statusCode());
            assertEquals(
                    FAILURE + "<value><array><data><value>No_storage_plugin_for_sr</value><value>" + nosr
                            + "</value></data></array></value></member></struct></value></param></params>"
                            + "</methodResponse>",
                    r.body());
            r = post(
                    host,
                    session,
                    updateDest(srUuid, leafLoc, vdiInfo("a", "", when), member("nosuch", vdiInfo("b", "", when))));
            assertTrue(r.body().contains("<value>Vdi_does_not_exist</value><value>nosuch</value>"), r.body());
            r = post(host, session, call);
            assertTrue(
                    r.body()
                            .contains("<value>Content_ids_do_not_match</value><value><array><data><value>" + copyLoc
                                    + "</value><value>src-snap</value></data></array></value>"),
                    r.body());
            assertFalse(copy.getIsASnapshot(c));

            // VDI.set_content_id, then the call marks the copy a snapshot of the leaf with the source's time
            r = post(host, session, setContentId(srUuid, copyLoc, "content-1"));
            assertTrue(r.body().contains("<value>Success</value>"), r.body());
            assertEquals("content-1", copy.getOtherConfig(c).get("content_id"));
            r = post(host, session, call);
            assertTrue(r.body().contains("<value>Success</value>"), r.body());
            assertTrue(copy.getIsASnapshot(c));
            assertEquals(leaf.toWireString(), copy.getSnapshotOf(c).toWireString());
            SimpleDateFormat f = new SimpleDateFormat("yyyyMMdd'T'HH:mm:ss'Z'");
            f.setTimeZone(TimeZone.getTimeZone("UTC"));
            assertEquals(when, f.format(copy.getSnapshotTime(c)));
            assertFalse(leaf.getIsASnapshot(c));
        }
    }
}
