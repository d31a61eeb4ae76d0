package org.xapijava.server.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.xapijava.db.Database;
import org.xapijava.db.LocalDb;
import org.xapijava.model.Datamodel;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.MutableClock;

class TaskManagerTest {
    final Database db = Database.empty(Datamodel.get());
    final MutableClock clock = new MutableClock();
    final TaskManager tm = new TaskManager(new LocalDb(db), clock, Refs.NULL);

    Object f(String t, String field) {
        return db.snapshot().get("task", t, field);
    }

    @Test
    void lifecycle() {
        String t = tm.create("VM.start", "", null, null, Map.of("http:x", "y"));
        assertEquals("pending", f(t, "status"));
        assertEquals("<none/>", f(t, "type"));
        assertEquals("()", f(t, "backtrace"));
        tm.setProgress(t, 0.5);
        assertEquals(0.5, f(t, "progress"));
        tm.complete(t, "<value>OpaqueRef:x</value>");
        assertEquals("success", f(t, "status"));
        assertEquals(1.0, f(t, "progress"));
        assertEquals("<value>OpaqueRef:x</value>", f(t, "result"));
        tm.fail(t, new ApiError("X"), null); // only from pending: ignored
        assertEquals("success", f(t, "status"));
    }

    @Test
    void failureAndCancellation() {
        String t = tm.create("a", "", null, null, Map.of());
        tm.fail(t, new ApiError("HANDLE_INVALID", "VM", "OpaqueRef:x"), null);
        assertEquals("failure", f(t, "status"));
        assertEquals(List.of("HANDLE_INVALID", "VM", "OpaqueRef:x"), f(t, "error_info"));
        String c = tm.create("b", "", null, null, Map.of());
        AtomicInteger hook = new AtomicInteger();
        tm.setCancellable(c, hook::incrementAndGet);
        assertEquals(List.of("cancel"), f(c, "allowed_operations"));
        tm.cancel(c, null);
        assertEquals(1, hook.get());
        ApiError e = assertThrows(ApiError.class, () -> tm.checkCancelled(c));
        assertEquals(List.of("TASK_CANCELLED", c), e.description());
        tm.fail(c, e, null);
        assertEquals("cancelled", f(c, "status"));
        assertEquals(List.of(), f(c, "allowed_operations"));
    }

    @Test
    void subtasks() {
        String parent = tm.create("p", "", null, null, Map.of());
        String child = tm.create("c", "", null, parent, Map.of());
        assertEquals(parent, f(child, "subtask_of"));
        assertEquals(List.of(child), f(parent, "subtasks"));
        String orphan = tm.create("o", "", null, "OpaqueRef:nope", Map.of());
        assertEquals(Refs.NULL, f(orphan, "subtask_of"));
    }

    @Test
    void destroyOfAPendingTaskWaitsForTheGc() {
        String t = tm.create("p", "", null, null, Map.of());
        tm.destroy(t);
        assertTrue(db.snapshot().exists("task", t));
        assertEquals(0, tm.collectGarbage());
        tm.complete(t, "<value></value>");
        assertEquals(1, tm.collectGarbage());
        assertFalse(db.snapshot().exists("task", t));
    }

    @Test
    void gcDeletesOldCompletedTasksAndKeepsAtMost200() {
        List<String> done = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            String t = tm.create("t" + i, "", null, null, Map.of());
            tm.complete(t, "<value></value>");
            done.add(t);
            clock.advance(Duration.ofSeconds(1));
        }
        assertEquals(50, tm.collectGarbage());
        assertFalse(db.snapshot().exists("task", done.get(0)));
        assertTrue(db.snapshot().exists("task", done.get(249)));
        clock.advance(Duration.ofSeconds(3901));
        assertEquals(200, tm.collectGarbage());
    }

    @Test
    void stuckPendingTasksAreDeletedAfterADay() {
        String stuck = tm.create("s", "", null, null, Map.of());
        String moving = tm.create("m", "", null, null, Map.of());
        clock.advance(Duration.ofHours(25));
        assertEquals(0, tm.collectGarbage()); // first pass records progress
        tm.setProgress(moving, 0.3);
        assertEquals(1, tm.collectGarbage());
        assertFalse(db.snapshot().exists("task", stuck));
        assertTrue(db.snapshot().exists("task", moving));
    }
}
