package org.xapijava.server.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.errors.ApiError;

/** The host half of a pool secret rotation: each step, each step asked again, and a restart in between. */
class PoolSecretTest {
    @TempDir
    Path dir;

    PoolSecret load() throws IOException {
        return PoolSecret.loadOrCreate(dir.resolve("ptoken"), dir.resolve("psr"));
    }

    @Test
    void theThreeStepsAndTheirRepeats() throws Exception {
        PoolSecret s = load();
        String old = s.value();
        String fresh = PoolSecret.generate();
        assertFalse(s.isAuthorized(fresh));

        s.acceptNew(old, fresh, true);
        s.acceptNew(old, fresh, true); // asked again: done already
        assertEquals(old, s.value());
        assertTrue(s.isAuthorized(old) && s.isAuthorized(fresh));
        assertEquals(List.of(old, fresh), s.backups());

        s.sendNew(old, fresh);
        s.sendNew(old, fresh);
        assertEquals(fresh, s.value());
        assertEquals(fresh, Files.readString(dir.resolve("ptoken")));
        assertTrue(s.isAuthorized(old));

        s.cleanup(old, fresh);
        s.cleanup(old, fresh);
        assertFalse(s.isAuthorized(old));
        assertTrue(s.isAuthorized(fresh));
        assertFalse(s.backupsExist());
        assertFalse(Files.exists(dir.resolve("psr/ptoken.old")));
    }

    @Test
    void aRestartMidRotationHoldsBothInTheSameOrder() throws Exception {
        PoolSecret s = load();
        String old = s.value();
        String fresh = PoolSecret.generate();
        s.acceptNew(old, fresh, true);
        PoolSecret after = load();
        assertEquals(old, after.value());
        assertTrue(after.isAuthorized(fresh));

        after.sendNew(old, fresh);
        PoolSecret again = load();
        assertEquals(fresh, again.value());
        assertTrue(again.isAuthorized(old));
        again.cleanup(old, fresh);
        assertFalse(load().isAuthorized(old));
    }

    @Test
    void mismatchedSecretsAreRefusedAndChangeNothing() throws Exception {
        PoolSecret s = load();
        String old = s.value();
        String fresh = PoolSecret.generate();
        ApiError e = assertThrows(ApiError.class, () -> s.acceptNew("not-the-secret", fresh, true));
        assertEquals(List.of("notify_new: old pool secret doesn't match"), e.params());
        assertThrows(ApiError.class, () -> s.sendNew(old, fresh)); // nothing accepted yet
        assertEquals(old, s.value());
        assertFalse(s.backupsExist());

        s.acceptNew(old, fresh, true);
        ApiError other = assertThrows(ApiError.class, () -> s.acceptNew(old, PoolSecret.generate(), true));
        assertEquals("INTERNAL_ERROR", other.code());
        assertEquals(old, s.value());

        // only one backup on disk: the host refuses to guess
        Files.delete(dir.resolve("psr/ptoken.new"));
        assertThrows(IOException.class, this::load);
    }
}
