package org.xapijava.server.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.VM;
import org.xapijava.server.TestHost;
import org.xapijava.server.bootstrap.BootstrapSettings;

/**
 * The {@code hostname} key names the host as the kernel's name would (hosts of {@code scripts/pool} share one
 * machine): {@code host.hostname} at every start, the name label and the control domain's name at the first.
 */
class HostNameTest {
    @TempDir
    Path dir;

    @Test
    void theKeyNamesTheHostAndItsControlDomain() throws Exception {
        try (TestHost host = TestHost.start(dir, "--hostname", "alpha")) {
            var db = new org.xapijava.db.LocalDb(host.server.services().db());
            String me = host.server.services().hostRef();
            assertEquals("alpha", db.get(me, Host.HOSTNAME));
            assertEquals("alpha", db.get(me, Host.NAME_LABEL));
            String dom0 = db.get(me, Host.CONTROL_DOMAIN);
            assertEquals("Control domain on host: alpha", db.get(dom0, VM.NAME_LABEL));
        }
        // a later start renews host.hostname; the name label is the user's from the first start on
        try (TestHost host = TestHost.start(dir, "--hostname", "beta")) {
            var db = new org.xapijava.db.LocalDb(host.server.services().db());
            String me = host.server.services().hostRef();
            assertEquals("beta", db.get(me, Host.HOSTNAME));
            assertEquals("alpha", db.get(me, Host.NAME_LABEL));
        }
    }

    @Test
    void withoutTheKeyTheKernelsNameIsUsed() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            var db = new org.xapijava.db.LocalDb(host.server.services().db());
            assertEquals(
                    BootstrapSettings.localHostname(),
                    db.get(host.server.services().hostRef(), Host.HOSTNAME));
        }
    }
}
