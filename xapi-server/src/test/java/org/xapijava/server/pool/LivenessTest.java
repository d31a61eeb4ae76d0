package org.xapijava.server.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.xapijava.db.Database;
import org.xapijava.db.LocalDb;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.types.Refs;
import org.xapijava.server.MutableClock;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.ops.Checkers;

class LivenessTest {
    private final Database db = Database.empty(Datamodel.get());
    private final MutableClock clock = new MutableClock();
    private final String master = host(true);
    private final Liveness liveness = new Liveness(
            new LocalDb(db), clock, master, Duration.ofSeconds(4), new AllowedOperations(db, new Checkers(false)));

    private String host(boolean live) {
        String metrics = Refs.fresh();
        String host = Refs.fresh();
        db.create(
                "host_metrics",
                metrics,
                Map.of("uuid", UUID.randomUUID().toString(), "live", live, "memory_total", 1L << 30));
        db.create(
                "host",
                host,
                Map.of(
                        "uuid",
                        UUID.randomUUID().toString(),
                        "enabled",
                        true,
                        "metrics",
                        metrics,
                        "virtual_hardware_platform_versions",
                        List.of(0L)));
        return host;
    }

    private boolean live(String host) {
        return new LocalDb(db).get(db.get("host", host, "metrics").toString(), HostMetrics.LIVE);
    }

    @Test
    void aSilentMemberDiesAfterTheIntervalAndLivesAgainWhenItTickles() {
        String member = host(false);
        liveness.check(); // first met now: the grace period starts
        assertEquals(true, live(member));
        clock.advance(Duration.ofSeconds(3));
        liveness.check();
        assertEquals(true, live(member));
        clock.advance(Duration.ofSeconds(2));
        liveness.check();
        assertEquals(false, live(member));
        liveness.tickle(member, Map.of());
        liveness.check();
        assertEquals(true, live(member));
        assertEquals(true, live(master), "the master is never judged");
    }

    @Test
    void aHostThatJoinsLaterHasItsGraceFromWhenACheckFirstMeetsIt() {
        liveness.check();
        clock.advance(Duration.ofSeconds(10)); // long after the master's start
        String joined = host(false);
        liveness.check();
        assertEquals(true, live(joined));
        clock.advance(Duration.ofSeconds(3)); // restarting as a member: silent, still within its grace
        liveness.check();
        assertEquals(true, live(joined));
        liveness.hello(joined);
        clock.advance(Duration.ofSeconds(3));
        liveness.check();
        assertEquals(true, live(joined));
    }

    @Test
    void aCleanShutdownIsDeadAtOnceAndStaysSoUntilItsHello() {
        String member = host(true);
        liveness.tickle(member, Map.of("shutting-down", "true"));
        assertEquals(false, live(member));
        liveness.check();
        assertEquals(false, live(member));
        liveness.hello(member);
        assertEquals(true, live(member));
    }
}
