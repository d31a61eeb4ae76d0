package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xapijava.db.internal.PMap;

class PMapTest {
    @Test
    void behavesLikeAHashMapAndOldVersionsStayIntact() {
        Random rnd = new Random(42);
        PMap<Integer> m = PMap.empty();
        Map<String, Integer> ref = new HashMap<>();
        PMap<Integer> snapshot = null;
        Map<String, Integer> snapshotRef = null;
        for (int i = 0; i < 50_000; i++) {
            // small key space forces overwrites, removals and deep tries; "Aa"/"BB" collide in hashCode
            String k = rnd.nextInt(10) == 0
                    ? (rnd.nextBoolean() ? "AaAa" : "BBBB") + rnd.nextInt(3)
                    : "k" + rnd.nextInt(5000);
            if (rnd.nextInt(3) == 0) {
                m = m.remove(k);
                ref.remove(k);
            } else {
                m = m.put(k, i);
                ref.put(k, i);
            }
            if (i == 20_000) {
                snapshot = m;
                snapshotRef = new HashMap<>(ref);
            }
        }
        assertEquals(ref.size(), m.size());
        for (Map.Entry<String, Integer> e : ref.entrySet()) assertEquals(e.getValue(), m.get(e.getKey()));
        Map<String, Integer> seen = new HashMap<>();
        m.forEach(seen::put);
        assertEquals(ref, seen);
        Map<String, Integer> old = new HashMap<>();
        snapshot.forEach(old::put);
        assertEquals(snapshotRef, old);
        assertNull(m.get("absent"));
        assertSame(m, m.remove("absent"));
    }

    @Test
    void removeEverything() {
        PMap<String> m = PMap.empty();
        for (int i = 0; i < 1000; i++) m = m.put("r" + i, "v");
        for (int i = 0; i < 1000; i++) m = m.remove("r" + i);
        assertEquals(0, m.size());
        assertEquals(0, m.keys().size());
    }
}
