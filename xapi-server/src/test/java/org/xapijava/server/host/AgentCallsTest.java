package org.xapijava.server.host;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/** {@code host.restart_agent} and {@code host.shutdown_agent} answer first, then ask the launcher a second later. */
class AgentCallsTest {
    @TempDir
    Path dir;

    @Test
    void restartThenStopAreAskedAfterTheAnswer() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            String session = host.login();
            String me = host.server.services().hostRef();
            host.ok("host.restart_agent", session, me);
            assertFalse(host.server.restartRequested().isDone(), "not before the answer's second");
            host.server.restartRequested().get(10, TimeUnit.SECONDS);
            assertFalse(host.server.stopRequested().isDone(), "a restart is not a stop");
            host.ok("host.shutdown_agent", session);
            host.server.stopRequested().get(10, TimeUnit.SECONDS);
            assertTrue(host.server.restartRequested().isDone());
        }
    }
}
