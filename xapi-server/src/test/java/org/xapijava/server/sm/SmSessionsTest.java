package org.xapijava.server.sm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.db.LocalDb;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.Session;
import org.xapijava.model.types.Refs;

/** {@link SmSessions} on a database built directly, from plain threads (no call in progress). */
class SmSessionsTest {
    final Db data = new LocalDb(Database.empty(Datamodel.get()));
    final SmSessions sessions = new SmSessions(data, Clock.systemUTC(), "OpaqueRef:host");

    @Test
    void openAndCloseFromManyThreadsAtOnce() throws Exception {
        Set<String> opened = ConcurrentHashMap.newKeySet();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            String sr = "OpaqueRef:sr-" + t;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 50; i++) {
                    String s = sessions.open(sr);
                    opened.add(s);
                    assertEquals(Map.of(SmSessions.SR_KEY, sr), data.get(s, Session.OTHER_CONFIG));
                    if (i % 2 == 0) sessions.close(s);
                }
            }));
        }
        for (Thread t : threads) t.join();
        assertEquals(400, opened.size());
        assertEquals(200, data.all(Session.XAPI_CLASS).size());
        for (String s : opened) sessions.close(s);
        assertTrue(data.all(Session.XAPI_CLASS).isEmpty());
    }

    @Test
    void withClosesTheSessionAfterTheBodyEvenWhenItFails() {
        String[] seen = new String[1];
        try {
            sessions.with("OpaqueRef:sr", s -> {
                seen[0] = s;
                assertTrue(data.exists(Session.XAPI_CLASS, s));
                throw new IllegalStateException("plugin failed");
            });
        } catch (IllegalStateException expected) {
            // the body's failure comes through
        }
        assertFalse(data.exists(Session.XAPI_CLASS, seen[0]));
    }

    @Test
    void aSessionWithoutSrHasNoSrKey() {
        String s = sessions.open(Refs.NULL);
        assertEquals(Map.of(), data.get(s, Session.OTHER_CONFIG));
        assertEquals(SmSessions.USER_NAME, data.get(s, Session.AUTH_USER_NAME));
    }
}
