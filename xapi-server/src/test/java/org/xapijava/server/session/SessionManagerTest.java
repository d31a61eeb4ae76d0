package org.xapijava.server.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.db.Database;
import org.xapijava.db.LocalDb;
import org.xapijava.model.Datamodel;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.MutableClock;
import org.xapijava.server.auth.AuthenticationFailure;
import org.xapijava.server.auth.Authenticator;
import org.xapijava.server.dispatch.Caller;
import org.xapijava.server.task.TaskManager;

class SessionManagerTest {
    final Database db = Database.empty(Datamodel.get());
    final MutableClock clock = new MutableClock();
    final Authenticator auth = new Authenticator() {
        @Override
        public void authenticate(String user, String password) throws AuthenticationFailure {
            if (!password.equals("pw")) throw new AuthenticationFailure("Authentication failure");
        }

        @Override
        public void changePassword(String user, String oldPassword, String newPassword) {}
    };
    final SessionManager sm =
            new SessionManager(db, new org.xapijava.db.LocalDb(db), auth, clock, Refs.NULL, new PoolSecret("secret"));
    final Caller remote = new Caller("xmlrpc", "127.0.0.1", false, Map.of());

    String login(String originator) {
        return sm.loginWithPassword(remote, "root", "pw", originator, null);
    }

    @Test
    void loginRecordAndCheck() {
        String s = login("XenCenter");
        var r = db.snapshot().getRecord("session", s);
        assertEquals(true, r.get("is_local_superuser"));
        assertEquals("root", r.get("auth_user_name"));
        assertEquals("XenCenter", r.get("originator"));
        assertEquals(false, r.get("pool"));
        assertTrue(sm.check(s).localSuperuser());
        ApiError e = assertThrows(ApiError.class, () -> sm.check("OpaqueRef:nope"));
        assertEquals(List.of("SESSION_INVALID", "OpaqueRef:nope"), e.description());
        e = assertThrows(ApiError.class, () -> sm.loginWithPassword(remote, "root", "bad", "", null));
        assertEquals(List.of("SESSION_AUTHENTICATION_FAILED", "root", "Authentication failure"), e.description());
    }

    @Test
    void poolSecretLogins() {
        String s = sm.slaveLogin("OpaqueRef:h", "secret");
        assertTrue(sm.check(s).pool());
        ApiError e = assertThrows(ApiError.class, () -> sm.slaveLogin("OpaqueRef:h", "wrong"));
        assertEquals(
                List.of("SESSION_AUTHENTICATION_FAILED", "OpaqueRef:h", "Pool credentials invalid"), e.description());
        String local = sm.slaveLocalLogin("secret");
        assertTrue(sm.check(local).local());
        assertFalse(db.snapshot().exists("session", local));
        sm.localLogout(local);
        assertFalse(sm.isValid(local));
    }

    @Test
    void idleSessionsDieAfter24Hours() {
        String old = login("a");
        clock.advance(Duration.ofHours(23));
        String young = login("a");
        assertEquals(0, sm.collectGarbage());
        clock.advance(Duration.ofHours(2));
        assertEquals(1, sm.collectGarbage());
        assertFalse(sm.isValid(old));
        assertTrue(sm.isValid(young));
    }

    @Test
    void lastActiveIsRefreshedByUse() {
        String s = login("a");
        clock.advance(Duration.ofHours(20));
        sm.check(s); // older than 600 s: rewritten
        clock.advance(Duration.ofHours(20));
        assertEquals(0, sm.collectGarbage());
        assertTrue(sm.isValid(s));
    }

    @Test
    void perOriginatorLimitDestroysTheOldest() {
        List<String> made = new ArrayList<>();
        for (int i = 0; i < SessionManager.MAX_PER_ORIGINATOR + 7; i++) {
            made.add(login("script"));
            clock.advance(Duration.ofSeconds(1));
        }
        List<String> anonymous = new ArrayList<>();
        for (int i = 0; i < 10; i++) anonymous.add(login(""));
        assertEquals(7, sm.collectGarbage());
        for (int i = 0; i < 7; i++) assertFalse(sm.isValid(made.get(i)));
        for (int i = 7; i < made.size(); i++) assertTrue(sm.isValid(made.get(i)));
        anonymous.forEach(a -> assertTrue(sm.isValid(a)));
    }

    @Test
    void aSessionWithAPendingTaskIsKept() {
        String s = login("a");
        TaskManager tm = new TaskManager(new LocalDb(db), clock, Refs.NULL);
        String t = tm.create("x", "", s, null, Map.of());
        clock.advance(Duration.ofHours(25));
        assertEquals(0, sm.collectGarbage());
        tm.complete(t, "<value></value>");
        assertEquals(1, sm.collectGarbage());
    }

    @Test
    void trackIdIsMd5Hex() {
        assertEquals(32, SessionManager.trackId("OpaqueRef:x").length());
    }
}
