package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.Datamodel;
import org.xapijava.model.FieldDef;
import org.xapijava.model.Relation;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.model.types.XType;

/**
 * Random values of every type written through the database API (field writes, row creation, set and map
 * updates) into every persistent, non-derived column of several classes: each is either refused, with nothing
 * changed, or read back identical; and every value is read back identical again after a crash (the files copied
 * while the database runs, so start-up replays the redo log) and after a clean restart. Strings are drawn from
 * every part of Unicode: controls, unpaired surrogates, noncharacters, astral characters, very long texts. The
 * expected outcome is computed here, independently of the database's own check. The seed is printed on failure;
 * {@code -Dxapi.fuzz.seed=N} replays one run, {@code -Dxapi.fuzz.ops=N} changes its length.
 */
class ValuePropertyTest {
    private static final Datamodel DM = Datamodel.get();
    private static final List<String> CLASSES = List.of("VM", "VDI", "SR", "host", "pool", "network", "VIF", "blob");

    @TempDir
    Path dir;

    private final long seed = Long.getLong("xapi.fuzz.seed", System.nanoTime());
    private final Random rnd = new Random(seed);
    /** What each written field must read back as: class → ref → field → value. */
    private final Map<String, Map<String, Map<String, Object>>> expected = new HashMap<>();

    private final Map<String, List<String>> rows = new HashMap<>();
    private int accepted;
    private int refused;

    @Test
    void everyValueIsRefusedOrReadBackIdenticalAfterCrashAndRestart() throws Exception {
        int ops = Integer.getInteger("xapi.fuzz.ops", 4000);
        Set<String> derived = new HashSet<>();
        for (Relation r : DM.relations()) {
            derived.add(r.bClass() + "." + r.bField());
            if (r.kind() == Relation.Kind.MANY_TO_MANY) derived.add(r.aClass() + "." + r.aField());
        }
        List<FieldDef> targets = new ArrayList<>();
        for (String c : CLASSES) {
            for (FieldDef f : DM.cls(c).dbFields()) {
                if (f.persist() && !f.name().equals("uuid") && !derived.contains(c + "." + f.name())) targets.add(f);
            }
        }
        DurableDatabase d = open(dir);
        try {
            for (String c : CLASSES) newRow(d.database(), c, Map.of());
            for (int i = 1; i <= ops; i++) {
                step(d.database(), targets);
                if (i % 1000 == 0 || i == ops) {
                    checkCrashCopy(d);
                }
            }
        } finally {
            d.close();
        }
        try (DurableDatabase again = open(dir)) {
            checkAll(again.database(), "after a clean restart");
        }
        System.out.printf(
                "ValuePropertyTest seed %d: %d writes, %d accepted, %d refused%n", seed, ops, accepted, refused);
        assertTrue(
                accepted > ops / 4 && refused > ops / 20,
                "seed " + seed + ": " + accepted + " accepted, " + refused
                        + " refused: the generator must exercise both outcomes");
    }

    private static DurableDatabase open(Path d) throws IOException {
        return DurableDatabase.open(DM, DurableDatabase.Options.inDirectory(d));
    }

    private String newRow(Database db, String cls, Map<String, Object> values) {
        String ref = Refs.fresh();
        Map<String, Object> all = new LinkedHashMap<>(values);
        all.put("uuid", UUID.randomUUID().toString());
        db.create(cls, ref, all);
        rows.computeIfAbsent(cls, k -> new ArrayList<>()).add(ref);
        Map<String, Object> exp =
                expected.computeIfAbsent(cls, k -> new HashMap<>()).computeIfAbsent(ref, k -> new HashMap<>());
        exp.putAll(values);
        return ref;
    }

    private void step(Database db, List<FieldDef> targets) {
        FieldDef f = targets.get(rnd.nextInt(targets.size()));
        List<String> refs = rows.get(f.cls());
        String ref = refs.get(rnd.nextInt(refs.size()));
        long g = db.generation();
        Object current = expectedValue(f, ref, db);
        int op = rnd.nextInt(10);
        String what;
        Object value;
        Runnable write;
        Object after; // the field's value after a successful write (null: a new row, tracked by newRow)
        boolean ok;
        if (op < 2) {
            value = value(f.type());
            what = "create " + f.cls() + " with " + f.name();
            write = () -> newRow(db, f.cls(), Map.of(f.name(), value));
            after = null;
            ok = storable(f.type(), value);
        } else if (op < 4 && f.type() instanceof XType.SetType st) {
            value = value(st.element());
            what = "add_to " + f.cls() + "." + f.name();
            write = () -> db.transact(tx -> tx.addToSet(f.cls(), ref, f.name(), value));
            List<Object> l = new ArrayList<>((List<?>) current);
            if (!l.contains(value)) l.add(0, value);
            after = l;
            ok = storable(st.element(), value);
        } else if (op < 4 && f.type() instanceof XType.MapType mt) {
            Object k = value(mt.key());
            value = value(mt.value());
            what = "add_to " + f.cls() + "." + f.name() + " key " + show(k);
            write = () -> db.transact(tx -> tx.addToMap(f.cls(), ref, f.name(), k, value));
            Map<Object, Object> m = new LinkedHashMap<>();
            m.put(k, value);
            m.putAll((Map<?, ?>) current);
            after = m;
            ok = storable(mt.key(), k)
                    && storable(mt.value(), value)
                    && !"".equals(String.valueOf(k))
                    && !((Map<?, ?>) current).containsKey(k);
        } else {
            value = value(f.type());
            what = "set " + f.cls() + "." + f.name();
            write = () -> db.set(f.cls(), ref, f.name(), value);
            after = value;
            ok = storable(f.type(), value);
        }
        if (!ok) {
            expectRefused(db, g, what, write, value);
            return;
        }
        try {
            write.run();
        } catch (RuntimeException e) {
            fail("seed " + seed + ": " + what + " = " + show(value) + " refused: " + e);
        }
        accepted++;
        if (after != null) {
            expected.get(f.cls()).get(ref).put(f.name(), after);
            assertSame(after, db.get(f.cls(), ref, f.name()), what);
        }
    }

    private Object expectedValue(FieldDef f, String ref, Database db) {
        Map<String, Object> exp = expected.get(f.cls()).get(ref);
        return exp.containsKey(f.name()) ? exp.get(f.name()) : db.get(f.cls(), ref, f.name());
    }

    private void expectRefused(Database db, long g, String what, Runnable write, Object value) {
        try {
            write.run();
            fail("seed " + seed + ": " + what + " = " + show(value) + " accepted");
        } catch (ApiError e) {
            assertTrue(
                    List.of("INTERNAL_ERROR", "MAP_DUPLICATE_KEY").contains(e.code()),
                    "seed " + seed + ": " + what + ": " + e.description());
        } catch (IllegalArgumentException e) {
            // an enum value the enum lacks, a datetime that has no wire form: a caller's bug, refused
        }
        assertEquals(g, db.generation(), "seed " + seed + ": a refused " + what + " changed the database");
        refused++;
    }

    private void checkCrashCopy(DurableDatabase d) throws IOException {
        Path copy = Files.createTempDirectory(dir.getParent(), "crash");
        try {
            // what a kill -9 leaves: whatever files exist now (state.db of some flush, the redo log)
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    if (Files.isRegularFile(p)) Files.copy(p, copy.resolve(p.getFileName()));
                }
            }
            try (DurableDatabase c = open(copy)) {
                checkAll(c.database(), "after a crash");
            }
        } finally {
            try (Stream<Path> files = Files.walk(copy)) {
                for (Path p : files.sorted((a, b) -> b.compareTo(a)).toList()) Files.delete(p);
            }
        }
    }

    private void checkAll(Database db, String when) {
        for (var byClass : expected.entrySet()) {
            for (var byRef : byClass.getValue().entrySet()) {
                for (var field : byRef.getValue().entrySet()) {
                    assertSame(
                            field.getValue(),
                            db.get(byClass.getKey(), byRef.getKey(), field.getKey()),
                            when + ": " + byClass.getKey() + "." + field.getKey());
                }
            }
        }
    }

    private void assertSame(Object want, Object got, String what) {
        // Double.equals compares bits: NaN equals NaN, -0.0 differs from 0.0
        assertEquals(want, got, "seed " + seed + ": " + what + " read back differently");
    }

    // ------------------------------------------------------------------ expectations, independent of the code

    private boolean storable(XType t, Object v) {
        return switch (v) {
            case null -> true;
            case String s ->
                storableText(s)
                        && (!(t instanceof XType.EnumType e)
                                || DM.enumDef(e.name()).contains(s));
            case List<?> l -> l.stream().allMatch(x -> storable(((XType.SetType) t).element(), x));
            case Map<?, ?> m ->
                m.entrySet().stream()
                        .allMatch(e -> storable(((XType.MapType) t).key(), e.getKey())
                                && storable(((XType.MapType) t).value(), e.getValue()));
            case DateTime dt ->
                dt.local().getYear() >= 0
                        && dt.local().getYear() <= 9999
                        && (dt.offset() == null || dt.offset().getTotalSeconds() % 60 == 0);
            default -> true;
        };
    }

    static boolean storableText(String s) {
        return s.codePoints()
                .allMatch(cp -> cp == 9
                        || cp == 10
                        || cp == 13
                        || (cp >= 0x20 && cp <= 0xD7FF)
                        || (cp >= 0xE000 && cp <= 0xFFFD && (cp < 0xFDD0 || cp > 0xFDEF))
                        || (cp >= 0x10000 && (cp & 0xFFFE) != 0xFFFE));
    }

    // ------------------------------------------------------------------ generators

    private Object value(XType t) {
        return switch (t) {
            case XType.Prim p ->
                switch (p.kind()) {
                    case STRING, VOID -> text();
                    case INT ->
                        switch (rnd.nextInt(4)) {
                            case 0 -> Long.MIN_VALUE;
                            case 1 -> Long.MAX_VALUE;
                            default -> rnd.nextLong() >> rnd.nextInt(64);
                        };
                    case FLOAT ->
                        switch (rnd.nextInt(8)) {
                            case 0 -> Double.NaN;
                            case 1 -> rnd.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
                            case 2 -> rnd.nextBoolean() ? 0.0 : -0.0;
                            case 3 -> rnd.nextBoolean() ? Double.MIN_VALUE : Double.MAX_VALUE;
                            default -> {
                                double x = Double.longBitsToDouble(rnd.nextLong());
                                yield Double.isNaN(x) ? 1.5 : x;
                            }
                        };
                    case BOOL -> rnd.nextBoolean();
                    case DATETIME -> {
                        int year = rnd.nextInt(20) == 0 ? 10000 + rnd.nextInt(5) : rnd.nextInt(10000);
                        ZoneOffset off = switch (rnd.nextInt(4)) {
                            case 0 -> null;
                            case 1 -> ZoneOffset.UTC;
                            case 2 -> ZoneOffset.ofTotalSeconds((rnd.nextInt(36 * 60) - 18 * 60) * 60);
                            default -> ZoneOffset.ofTotalSeconds(rnd.nextInt(36 * 3600) - 18 * 3600);
                        };
                        yield new DateTime(
                                LocalDateTime.of(
                                        year,
                                        1 + rnd.nextInt(12),
                                        1 + rnd.nextInt(28),
                                        rnd.nextInt(24),
                                        rnd.nextInt(60),
                                        rnd.nextInt(60)),
                                off);
                    }
                };
            case XType.EnumType e -> {
                List<String> values = DM.enumDef(e.name()).values();
                yield rnd.nextInt(8) == 0 ? text() : values.get(rnd.nextInt(values.size()));
            }
            case XType.RefType r ->
                switch (rnd.nextInt(4)) {
                    case 0 -> Refs.NULL;
                    case 1 -> rows.containsKey(r.cls()) ? rows.get(r.cls()).get(0) : Refs.fresh();
                    case 2 -> "OpaqueRef:" + text();
                    default -> text();
                };
            case XType.SetType s -> {
                List<Object> l = new ArrayList<>();
                for (int i = rnd.nextInt(4); i > 0; i--) l.add(value(s.element()));
                yield l;
            }
            case XType.MapType m -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (int i = rnd.nextInt(4); i > 0; i--) out.put(value(m.key()), value(m.value()));
                yield out;
            }
            case XType.OptionType o -> rnd.nextInt(4) == 0 ? null : value(o.inner());
            case XType.RecordType r -> throw new IllegalArgumentException("no record columns");
        };
    }

    private static final String[] NASTY = {
        "\u0000",
        "\u0001",
        "\u0008",
        "\u000b",
        "\u001f",
        "\t",
        "\n",
        "\r",
        "\u007f",
        "\u0085",
        "\ud800",
        "\udbff",
        "\udc00",
        "\udfff",
        "\ufdd0",
        "\ufdef",
        "\ufdcf",
        "\ufdf0",
        "\ufffd",
        "\ufffe",
        "\uffff",
        "\ud83c\udffe",
        "\ud83f\udffe",
        "\ud83f\udfff",
        "\udbff\udfff",
        "\udbff\udffd",
        "\uf8ff",
        "\u2028",
        "<",
        "&",
        "\"",
        "'",
        "%",
        " ",
        "%.",
        "(",
        ")",
        "\\",
        "OpaqueRef:NULL",
        "é",
        "日本",
        "\ud83d\ude00"
    };

    /** Mostly short texts mixing plain, hostile and astral characters; now and then a very long one. */
    String text() {
        StringBuilder b = new StringBuilder();
        int pieces = rnd.nextInt(5);
        for (int i = 0; i < pieces; i++) {
            switch (rnd.nextInt(6)) {
                case 0 -> b.append(NASTY[rnd.nextInt(NASTY.length)]);
                case 1 -> {
                    for (int k = rnd.nextInt(12); k > 0; k--) b.append((char) (0x20 + rnd.nextInt(0x5f)));
                }
                case 2 -> b.append((char) rnd.nextInt(0x10000));
                case 3 -> b.appendCodePoint(0x10000 + rnd.nextInt(0x100000));
                case 4 -> b.append((char) (0xFFF0 + rnd.nextInt(16)));
                default -> {
                    if (rnd.nextInt(40) == 0) {
                        for (int k = 10_000 + rnd.nextInt(50_000); k > 0; k--)
                            b.append((char) (0x20 + rnd.nextInt(0x3000)));
                    } else {
                        b.append("name").append(rnd.nextInt(100));
                    }
                }
            }
        }
        return b.toString();
    }

    private static String show(Object v) {
        String s = String.valueOf(v);
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(200).forEach(cp -> {
            if (cp >= 0x20 && cp < 0x7f) b.appendCodePoint(cp);
            else b.append(String.format("\\u{%x}", cp));
        });
        return b.append(s.length() > 200 ? "... (" + s.length() + " chars)" : "")
                .toString();
    }
}
