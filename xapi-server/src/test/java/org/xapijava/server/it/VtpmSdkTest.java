package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import com.xensource.xenapi.VTPM;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Db;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.Secret;
import org.xapijava.model.rbac.Rbac;
import org.xapijava.server.TestHost;
import org.xapijava.xenopsd.Metadata;

/**
 * VTPMs through the Citrix SDK's transport (its bindings predate {@code VTPM.create(vM, is_unique)}, so the calls
 * are sent by name): creation on a halted VM with its contents in a secret of their own, the contents read and
 * replaced, the VTPM given to xenopsd at start, destruction; every refusal of Xapi (licence, a second VTPM, power
 * states, templates and snapshots, RBAC) with its parameters, and nothing changed by it.
 */
class VtpmSdkTest {
    private static final String NULL = "OpaqueRef:NULL";

    @TempDir
    Path dir;

    private static RawConnection raw(TestHost host) throws Exception {
        return new RawConnection(LifecycleSupport.url(host));
    }

    private static List<String> fails(TestHost host, Connection c, String method, Object... args) throws Exception {
        return raw(host).failure(method, with(c.getSessionReference(), args));
    }

    private static Object call(TestHost host, Connection c, String method, Object... args) throws Exception {
        return raw(host).call(method, with(c.getSessionReference(), args));
    }

    private static Object[] with(String session, Object[] args) {
        Object[] params = new Object[args.length + 1];
        params[0] = session;
        System.arraycopy(args, 0, params, 1, args.length);
        return params;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> record(TestHost host, Connection c, String vtpm) throws Exception {
        return (Map<String, Object>) call(host, c, "VTPM.get_record", vtpm);
    }

    private static List<Object> list(Object value) {
        return Arrays.asList((Object[]) value);
    }

    private static List<Object> vmAllowed(TestHost host, Connection c, VM vm) throws Exception {
        return list(call(host, c, "VM.get_allowed_operations", vm.toWireString()));
    }

    private static int secrets(TestHost host) {
        return host.server.services().data().all(Secret.XAPI_CLASS).size();
    }

    @Test
    void aHaltedVmGetsOneVtpmWhoseContentsLiveInASecret() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            VM vm = LifecycleSupport.newVm(host, c, "tpm");
            Db data = host.server.services().data();
            assertTrue(vmAllowed(host, c, vm).contains("create_vtpm"));
            int before = secrets(host);

            String vtpm = (String) call(host, c, "VTPM.create", vm.toWireString(), true);
            Map<String, Object> r = record(host, c, vtpm);
            assertEquals(vm.toWireString(), r.get("VM"));
            assertEquals(NULL, r.get("backend"));
            assertEquals("xapi", r.get("persistence_backend"));
            assertEquals(true, r.get("is_unique"));
            assertEquals(false, r.get("is_protected"));
            assertEquals(List.of("destroy"), list(r.get("allowed_operations")));
            assertEquals(Map.of(), r.get("current_operations"));
            assertFalse(r.containsKey("contents"), "an internal field");
            assertEquals(List.of(Types.toVTPM(vtpm)), List.copyOf(vm.getVTPMs(c)));
            assertFalse(vmAllowed(host, c, vm).contains("create_vtpm"));
            assertTrue(vm.getCurrentOperations(c).isEmpty());
            assertEquals(before + 1, secrets(host));
            String secret = data.get(vtpm, org.xapijava.model.api.VTPM.CONTENTS);
            assertEquals("", data.get(secret, Secret.VALUE));
            assertEquals("", call(host, c, "VTPM.get_contents", vtpm));
            String other = (String) call(
                    host,
                    c,
                    "VTPM.create",
                    LifecycleSupport.newVm(host, c, "tpm2").toWireString(),
                    false);
            assertEquals(false, record(host, c, other).get("is_unique"));

            // new contents are a new secret; the old one goes
            call(host, c, "VTPM.set_contents", vtpm, "dHBtIHN0YXRl");
            assertEquals("dHBtIHN0YXRl", call(host, c, "VTPM.get_contents", vtpm));
            String now = data.get(vtpm, org.xapijava.model.api.VTPM.CONTENTS);
            assertFalse(now.equals(secret));
            assertFalse(data.exists(Secret.XAPI_CLASS, secret));
            assertEquals(before + 2, secrets(host));
            // Xapi's base64 check keeps nothing of its result: anything is taken
            call(host, c, "VTPM.set_contents", vtpm, "not base64!");
            assertEquals("not base64!", call(host, c, "VTPM.get_contents", vtpm));

            // one VTPM per VM: refused at the marking, nothing made
            assertEquals(
                    List.of("VTPM_MAX_AMOUNT_REACHED", "1"), fails(host, c, "VTPM.create", vm.toWireString(), false));
            assertEquals(1, vm.getVTPMs(c).size());
            assertEquals(before + 2, secrets(host));
            assertTrue(vm.getCurrentOperations(c).isEmpty());

            // the VTPM reaches xenopsd with the VM
            vm.start(c, false, false);
            Metadata md = Metadata.fromJson(host.server.xenops().xenops().vmExportMetadata("t", vm.getUuid(c)));
            assertEquals("2", md.vm().platformdata().get("tpm_version"));
            assertEquals(List.of(), list(record(host, c, vtpm).get("allowed_operations")));
            assertEquals(
                    List.of("VM_BAD_POWER_STATE", vm.toWireString(), "halted;suspended", "running"),
                    fails(host, c, "VTPM.destroy", vtpm));
            assertTrue(data.exists(org.xapijava.model.api.VTPM.XAPI_CLASS, vtpm));
            assertEquals("not base64!", call(host, c, "VTPM.get_contents", vtpm), "a running VM's TPM is read");
            vm.hardShutdown(c);
            assertEquals(List.of("destroy"), list(record(host, c, vtpm).get("allowed_operations")));

            String last = data.get(vtpm, org.xapijava.model.api.VTPM.CONTENTS);
            call(host, c, "VTPM.destroy", vtpm);
            assertFalse(data.exists(org.xapijava.model.api.VTPM.XAPI_CLASS, vtpm));
            assertFalse(data.exists(Secret.XAPI_CLASS, last));
            assertEquals(before + 1, secrets(host));
            assertTrue(vm.getVTPMs(c).isEmpty());
            assertTrue(vmAllowed(host, c, vm).contains("create_vtpm"), "a VTPM may be created again");
            assertEquals(List.of("HANDLE_INVALID", "VTPM", vtpm), fails(host, c, "VTPM.get_contents", vtpm));
            assertEquals(List.of("HANDLE_INVALID", "VTPM", vtpm), fails(host, c, "VTPM.destroy", vtpm));
            assertEquals(List.of("HANDLE_INVALID", "VTPM", vtpm), fails(host, c, "VTPM.set_contents", vtpm, "x"));
            assertEquals(before + 1, secrets(host));
        }
    }

    @Test
    void refusalsChangeNothing() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            VM vm = LifecycleSupport.newVm(host, c, "tpm");
            Db data = host.server.services().data();
            int before = secrets(host);

            // the licence: restrict_vtpm must say "false"
            String pool = host.server.services().poolRef();
            Map<String, String> restrictions = new HashMap<>(data.get(pool, Pool.RESTRICTIONS));
            assertEquals("false", restrictions.get("restrict_vtpm"));
            restrictions.put("restrict_vtpm", "true");
            data.set(pool, Pool.RESTRICTIONS, restrictions);
            assertEquals(
                    List.of("FEATURE_RESTRICTED", "restrict_vtpm"),
                    fails(host, c, "VTPM.create", vm.toWireString(), false));
            restrictions.remove("restrict_vtpm");
            data.set(pool, Pool.RESTRICTIONS, restrictions);
            assertEquals(
                    List.of("FEATURE_RESTRICTED", "restrict_vtpm"),
                    fails(host, c, "VTPM.create", vm.toWireString(), false));
            assertTrue(vm.getVTPMs(c).isEmpty());
            assertTrue(vm.getCurrentOperations(c).isEmpty());
            restrictions.put("restrict_vtpm", "false");
            data.set(pool, Pool.RESTRICTIONS, restrictions);

            // a running VM
            vm.start(c, false, false);
            assertEquals(
                    List.of("VM_BAD_POWER_STATE", vm.toWireString(), "halted", "running"),
                    fails(host, c, "VTPM.create", vm.toWireString(), false));
            vm.hardShutdown(c);

            // snapshots and templates
            VM snap = vm.snapshot(c, "snap");
            assertEquals(
                    List.of("VM_IS_SNAPSHOT", snap.toWireString(), "create_vtpm"),
                    fails(host, c, "VTPM.create", snap.toWireString(), false));
            vm.setIsATemplate(c, true);
            assertEquals(
                    List.of("VM_IS_TEMPLATE", vm.toWireString(), "create_vtpm"),
                    fails(host, c, "VTPM.create", vm.toWireString(), false));
            assertEquals(
                    List.of("HANDLE_INVALID", "VM", "OpaqueRef:nope"),
                    fails(host, c, "VTPM.create", "OpaqueRef:nope", false));
            assertTrue(vm.getVTPMs(c).isEmpty());
            assertTrue(snap.getVTPMs(c).isEmpty());
            assertEquals(0, data.all(org.xapijava.model.api.VTPM.XAPI_CLASS).size());
            assertEquals(before, secrets(host));
        }
    }

    /** The VM's one VTPM. */
    private static String vtpmOf(Connection c, VM vm) throws Exception {
        List<VTPM> all = List.copyOf(vm.getVTPMs(c));
        assertEquals(1, all.size());
        return all.get(0).toWireString();
    }

    @Test
    void snapshotsClonesAndRevertCopyContentsUnlessUnique() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            Db data = host.server.services().data();
            VM vm = LifecycleSupport.newVm(host, c, "tpm");
            String vtpm = (String) call(host, c, "VTPM.create", vm.toWireString(), false);
            call(host, c, "VTPM.set_contents", vtpm, "QQ==");
            int before = secrets(host);

            VM snap = vm.snapshot(c, "snap");
            String copied = vtpmOf(c, snap);
            assertEquals("QQ==", call(host, c, "VTPM.get_contents", copied));
            assertEquals(false, record(host, c, copied).get("is_unique"));
            assertFalse(data.get(copied, org.xapijava.model.api.VTPM.CONTENTS)
                    .equals(data.get(vtpm, org.xapijava.model.api.VTPM.CONTENTS)));
            assertEquals(before + 1, secrets(host));

            // revert: the VM's VTPM and its contents go, a copy of the snapshot's comes
            call(host, c, "VTPM.set_contents", vtpm, "Qg==");
            String old = data.get(vtpm, org.xapijava.model.api.VTPM.CONTENTS);
            snap.revert(c);
            String restored = vtpmOf(c, vm);
            assertFalse(restored.equals(vtpm));
            assertFalse(data.exists(org.xapijava.model.api.VTPM.XAPI_CLASS, vtpm));
            assertFalse(data.exists(Secret.XAPI_CLASS, old));
            assertEquals("QQ==", call(host, c, "VTPM.get_contents", restored));
            assertEquals("QQ==", call(host, c, "VTPM.get_contents", copied), "the snapshot's stays as it was");
            assertEquals(before + 1, secrets(host));

            VM clone = vm.createClone(c, "clone");
            assertEquals("QQ==", call(host, c, "VTPM.get_contents", vtpmOf(c, clone)));
            assertEquals(before + 2, secrets(host));
            clone.destroy(c);
            assertEquals(before + 1, secrets(host), "a destroyed VM's VTPM takes its contents along");

            // a unique VTPM's contents are never copied
            VM other = LifecycleSupport.newVm(host, c, "unique");
            String unique = (String) call(host, c, "VTPM.create", other.toWireString(), true);
            call(host, c, "VTPM.set_contents", unique, "VQ==");
            VM twin = other.createClone(c, "twin");
            String fresh = vtpmOf(c, twin);
            assertEquals(true, record(host, c, fresh).get("is_unique"));
            assertEquals("", call(host, c, "VTPM.get_contents", fresh));
            assertEquals("VQ==", call(host, c, "VTPM.get_contents", unique));
        }
    }

    @Test
    void contentsAreForTheLocalSuperuserOnly() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            VM vm = LifecycleSupport.newVm(host, c, "tpm");
            String vtpm = (String) call(host, c, "VTPM.create", vm.toWireString(), false);
            // an external pool administrator's session: every role's permissions, but these have no role
            Connection admin = LifecycleSupport.login(host);
            Rbac rbac = Rbac.of(Datamodel.get());
            host.server.services().db().transact(tx -> {
                String s = admin.getSessionReference();
                tx.set("session", s, "is_local_superuser", false);
                tx.set("session", s, "rbac_permissions", rbac.permissionsOf("pool-admin"));
                tx.set("session", s, "auth_user_sid", "S-1-5-21-admin");
            });
            assertEquals(
                    "RBAC_PERMISSION_DENIED",
                    fails(host, admin, "VTPM.get_contents", vtpm).get(0));
            assertEquals(
                    "RBAC_PERMISSION_DENIED",
                    fails(host, admin, "VTPM.set_contents", vtpm, "x").get(0));
            assertEquals("", call(host, c, "VTPM.get_contents", vtpm));
            // create and destroy are the VM administrators'
            call(host, admin, "VTPM.destroy", vtpm);
            assertTrue(vm.getVTPMs(c).isEmpty());
        }
    }
}
