package org.xapijava.server.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;

/** Tokens, subscriptions, timeouts and batching delays, without a server. */
class EventUnitTest {

    @Test
    void tokensParseAsXapiDoes() {
        assertEquals(new EventToken(0, 0, true), EventToken.parse(""));
        assertEquals(new EventToken(12, 3, false), EventToken.parse("00000000000000000012,00000000000000000003"));
        assertEquals(new EventToken(16, -2, false), EventToken.parse("0x10,-2"));
        assertEquals(new EventToken(1000, 0, false), EventToken.parse("1_000,+0"));
        for (String bad : List.of("abc", "5", ",", "1,", ",1", "1,2,3", " 1,2", "1,2 ", "99999999999999999999,0")) {
            ApiError e = assertThrows(ApiError.class, () -> EventToken.parse(bad), bad);
            assertEquals("EVENT_FROM_TOKEN_PARSE_FAILURE", e.code());
            assertEquals(List.of(bad), e.params());
        }
    }

    @Test
    void tokensFormatZeroPaddedWithTheSignFirst() {
        assertEquals("00000000000000000042,00000000000000000007", EventToken.format(42, 7));
        assertEquals("-0000000000000000001,00000000000000000000", EventToken.format(-1, 0));
        assertTrue(EventToken.format(9, 0).compareTo(EventToken.format(10, 0)) < 0, "lexicographic order");
    }

    @Test
    void subscriptionsParseEveryString() {
        assertEquals(new Subscription.All(), Subscription.parse("*"));
        assertEquals(new Subscription.OfClass("vm_metrics"), Subscription.parse("VM_metrics"));
        assertEquals(new Subscription.OfObject("vm", "OpaqueRef:A/b"), Subscription.parse("Vm/OpaqueRef:A/b"));
        assertEquals(new Subscription.OfClass(""), Subscription.parse(""));
        assertEquals(new Subscription.OfObject("", ""), Subscription.parse("/"));
        // only ASCII letters are lower-cased, as OCaml's lowercase_ascii
        assertEquals(new Subscription.OfClass("\u00c9vm"), Subscription.parse("\u00c9VM"));
    }

    @Test
    void subscriptionsMatchClassesAndObjects() {
        Subscription cls = Subscription.parse("VM");
        Subscription obj = Subscription.parse("vm/OpaqueRef:1");
        assertTrue(cls.matches("vm", "OpaqueRef:2"));
        assertFalse(cls.matches("vm_metrics", "OpaqueRef:2"));
        assertTrue(obj.matches("vm", "OpaqueRef:1"));
        assertFalse(obj.matches("vm", "OpaqueRef:2"));
        assertTrue(obj.coversTable("vm"));
        assertTrue(Subscription.parse("task").taskOnly());
        assertTrue(Subscription.parse("TASK/x").taskOnly());
        assertFalse(Subscription.parse("*").taskOnly());
    }

    @Test
    void timeoutsFollowMtimeAndTheDayFallback() {
        long day = Duration.ofHours(24).toNanos();
        assertEquals(1_500_000_000L, EventHub.timeoutNanos(1.5));
        assertEquals(0, EventHub.timeoutNanos(0.0));
        assertEquals(0, EventHub.timeoutNanos(-1e-10), "rounds to -0, which is not negative");
        assertEquals(day, EventHub.timeoutNanos(-1.0));
        assertEquals(day, EventHub.timeoutNanos(Double.NaN));
        assertEquals(day, EventHub.timeoutNanos(Double.POSITIVE_INFINITY));
        assertEquals(day, EventHub.timeoutNanos(1e7), "2^53 ns and more do not fit Mtime's float spans");
        assertEquals(9_000_000_000_000_000L, EventHub.timeoutNanos(9e6));
    }

    @Test
    void theNextQueueForgetsTheOldestBeyondItsCapAndReportsLostEvents() {
        NextQueue q = new NextQueue(600);
        q.register("s", List.of(Subscription.parse("vm")));
        NextQueue.Sub sub = q.registered("s");
        q.add("pool", "mod", "OpaqueRef:p", "1.", () -> null);
        assertEquals(0, q.currentId(), "nobody wants pool events: not queued, no id used");
        for (int i = 0; i < 10; i++)
            q.add("vm", "mod", "OpaqueRef:" + i, "1.", () -> java.util.Map.of("name_label", "x".repeat(40)));
        assertEquals(10, q.currentId());
        long[] range = q.grabRange(sub);
        assertEquals(0, range[0]);
        assertEquals(10, range[1]);
        ApiError lost = assertThrows(ApiError.class, () -> q.read(range[0], range[1]));
        assertEquals("EVENTS_LOST", lost.code());
        // the first id still readable: everything from it on is kept, and its total is below the cap
        int first = 0;
        while (first < 10) {
            try {
                q.read(first, 10);
                break;
            } catch (ApiError e) {
                first++;
            }
        }
        assertTrue(first > 0 && first < 10, "first readable id " + first);
        List<java.util.Map<String, Object>> kept = q.read(first, 10);
        assertEquals(10 - first, kept.size());
        assertEquals(Integer.toString(first), kept.get(0).get("id"));
        long total = 0;
        for (java.util.Map<String, Object> e : kept)
            total += org.xapijava.model.jsonrpc.JsonRpcCodec.toJson(e).length();
        long one = total / kept.size();
        assertTrue(total < 600 && total + one >= 600, "kept the newest that fit below the cap: " + total);
        ApiError notRegistered = assertThrows(ApiError.class, () -> q.registered("other"));
        assertEquals("SESSION_NOT_REGISTERED", notRegistered.code());
    }

    @Test
    void batchingDoublesFromASixteenthUpToTheCap() {
        Batching b = Batching.EVENT_FROM;
        long d = b.initialNanos();
        assertEquals(3_125_000, d);
        d = b.nextNanos(d);
        assertEquals(6_250_000, d);
        d = b.nextNanos(b.nextNanos(d));
        assertEquals(25_000_000, d);
        assertEquals(50_000_000, b.nextNanos(d));
        assertEquals(50_000_000, b.nextNanos(b.nextNanos(d)));
    }
}
