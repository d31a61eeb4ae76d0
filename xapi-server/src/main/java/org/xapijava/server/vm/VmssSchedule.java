package org.xapijava.server.vm;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.model.api.VMSS;
import org.xapijava.model.api.enums.VmssFrequency;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.RpcValues;

/**
 * The keys a snapshot schedule's {@code schedule} map may hold, and Xapi's checks of them ({@code xapi_vmss.ml} with
 * {@code map_check.ml}): {@code min} is one of 0, 15, 30, 45 (any letter case, stored as spelt here); {@code hour} an
 * integer 0..23 in OCaml's syntax (stored as given); {@code days} a comma-separated set of week days without
 * repetition (stored in the canonical spelling). Hourly schedules take {@code min}; daily ones {@code hour} and
 * {@code min}; weekly ones {@code hour}, {@code min} and {@code days}; each missing key defaults to 0, 0 or Monday.
 * A bad key or value is {@code INVALID_VALUE ["schedule:<key>", value]}. Maps keep Xapi's association-list order.
 * Pure functions.
 */
final class VmssSchedule {
    static final String FIELD = VMSS.SCHEDULE.name();
    /** A map key (which a datamodel field of another class happens to be named too). */
    static final String MIN = "min";

    static final String HOUR = "hour";
    static final String DAYS = "days";
    static final List<String> DAY_NAMES =
            List.of("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday");
    static final List<String> MINUTES = List.of("0", "15", "30", "45");

    /** What a key's value may be. */
    sealed interface Type {}

    /** One of the values (compared in ASCII lower case; the stored value is the listed spelling). */
    record OneOf(List<String> values) implements Type {}

    /** A comma-separated set of the values, none twice. */
    record SetOf(List<String> values) implements Type {}

    /** An integer in OCaml's syntax within the bounds (the stored value is the given text). */
    record IntRange(int min, int max) implements Type {}

    /** A key, what its value may be, and its default. */
    record Key(String name, Type type, String defaultValue) {}

    private static final Key MIN_KEY = new Key(MIN, new OneOf(MINUTES), MINUTES.getFirst());
    private static final Key HOUR_KEY = new Key(HOUR, new IntRange(0, 23), "0");
    private static final Key DAYS_KEY = new Key(DAYS, new SetOf(DAY_NAMES), DAY_NAMES.getFirst());

    /** {@code schedule_keys}: the keys of each frequency, in Xapi's order. */
    static List<Key> keys(VmssFrequency f) {
        return switch (f) {
            case HOURLY -> List.of(MIN_KEY);
            case DAILY -> List.of(HOUR_KEY, MIN_KEY);
            case WEEKLY -> List.of(HOUR_KEY, MIN_KEY, DAYS_KEY);
        };
    }

    /** {@code schedule_all_keys}: the keys of every frequency (the setters check against these). */
    static List<Key> allKeys() {
        List<Key> all = new ArrayList<>();
        for (VmssFrequency f : VmssFrequency.values()) all.addAll(keys(f));
        return all;
    }

    private VmssSchedule() {}

    /**
     * {@code Map_check.assert_keys}: {@code value} merged over {@code db}, each entry checked against {@code keys}; the
     * checked (canonical) map.
     */
    static Map<String, String> assertKeys(List<Key> keys, Map<String, String> value, Map<String, String> db) {
        Map<String, String> out = new LinkedHashMap<>();
        merge(value, db).forEach((k, v) -> out.put(k, assertKey(keys, k, v)));
        return out;
    }

    /**
     * {@code Map_check.assert_all_keys}: {@code value} merged over {@code db}, reduced to exactly {@code keys} (in
     * their order, defaults for the missing ones, others dropped), each checked; the checked map.
     */
    static Map<String, String> assertAllKeys(List<Key> keys, Map<String, String> value, Map<String, String> db) {
        Map<String, String> merged = merge(value, db);
        Map<String, String> out = new LinkedHashMap<>();
        for (Key k : keys) {
            if (out.containsKey(k.name())) continue;
            out.put(k.name(), assertKey(keys, k.name(), merged.getOrDefault(k.name(), k.defaultValue())));
        }
        return out;
    }

    /**
     * {@code Map_check.merge xs ys}: the entries of {@code xs} whose key {@code ys} lacks, then those of {@code ys},
     * each with {@code xs}'s value when it has the key.
     */
    static Map<String, String> merge(Map<String, String> xs, Map<String, String> ys) {
        Map<String, String> out = new LinkedHashMap<>();
        xs.forEach((k, v) -> {
            if (!ys.containsKey(k)) out.put(k, v);
        });
        ys.forEach((k, v) -> out.put(k, xs.getOrDefault(k, v)));
        return out;
    }

    /** {@code assert_key}: a key not among {@code keys} is refused with its value; else the checked value. */
    static String assertKey(List<Key> keys, String key, String value) {
        for (Key k : keys) if (k.name().equals(key)) return assertValue(key, k.type(), value);
        throw invalid(key, value);
    }

    /** {@code assert_value}: the value, checked against its type, as stored. */
    static String assertValue(String key, Type type, String value) {
        return switch (type) {
            case OneOf o -> {
                String v = member(value, o.values());
                if (v == null) throw invalid(key, value);
                yield v;
            }
            case SetOf s -> {
                // folded from the right, as Xapi does: a repeated day is reported with the whole value
                String[] parts = value.split(",", -1);
                String acc = "";
                for (int i = parts.length - 1; i >= 0; i--) {
                    String v = member(parts[i], s.values());
                    if (v == null) throw invalid(key, parts[i]);
                    if (acc.isEmpty()) acc = v;
                    else if (acc.contains(v)) throw invalid(key, value);
                    else acc = v + "," + acc;
                }
                yield acc;
            }
            case IntRange r -> {
                long v;
                try {
                    v = RpcValues.parseOcamlInt(value);
                } catch (NumberFormatException e) {
                    throw invalid(key, value);
                }
                if (v < r.min() || v > r.max()) throw invalid(key, value);
                yield value;
            }
        };
    }

    /** {@code Map_check.err}: {@code INVALID_VALUE ["schedule:<key>", value]} ({@code "schedule"} for no key). */
    static ApiError invalid(String key, String value) {
        return ApiError.invalidValue(key.isEmpty() ? FIELD : FIELD + ":" + key, value);
    }

    /** {@code Map_check.mem}: the member equal to {@code value} in ASCII lower case, or null. */
    private static String member(String value, List<String> range) {
        String v = asciiLower(value);
        for (String r : range) if (asciiLower(r).equals(v)) return r;
        return null;
    }

    /**
     * The latest time at or before {@code at} (in {@code zone}, to the minute) at which a schedule of this frequency
     * and these keys runs: hourly at {@code min} past each hour, daily at {@code hour:min}, weekly at
     * {@code hour:min} on each of {@code days}. A missing key has its default; an unreadable value (the setters
     * refuse them) is null: such a schedule never runs.
     */
    static Instant latestRun(VmssFrequency f, Map<String, String> schedule, Instant at, ZoneId zone) {
        int minute;
        int hour;
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        try {
            minute = Integer.parseInt(schedule.getOrDefault(MIN, MIN_KEY.defaultValue()));
            hour = (int) RpcValues.parseOcamlInt(schedule.getOrDefault(HOUR, HOUR_KEY.defaultValue()));
            for (String d : schedule.getOrDefault(DAYS, DAYS_KEY.defaultValue()).split(",", -1)) {
                String day = member(d, DAY_NAMES);
                if (day == null) return null;
                days.add(DayOfWeek.of(DAY_NAMES.indexOf(day) + 1));
            }
        } catch (NumberFormatException e) {
            return null;
        }
        if (!MINUTES.contains(Integer.toString(minute)) || hour < 0 || hour > 23) return null;
        ZonedDateTime now = at.atZone(zone);
        ZonedDateTime t = switch (f) {
            case HOURLY -> {
                ZonedDateTime c = now.truncatedTo(ChronoUnit.HOURS).withMinute(minute);
                yield c.isAfter(now) ? c.minusHours(1) : c;
            }
            case DAILY -> {
                ZonedDateTime c =
                        now.truncatedTo(ChronoUnit.DAYS).withHour(hour).withMinute(minute);
                yield c.isAfter(now) ? c.minusDays(1) : c;
            }
            case WEEKLY -> {
                ZonedDateTime c =
                        now.truncatedTo(ChronoUnit.DAYS).withHour(hour).withMinute(minute);
                while (c.isAfter(now) || !days.contains(c.getDayOfWeek())) c = c.minusDays(1);
                yield c;
            }
        };
        return t.toInstant();
    }

    /** OCaml's {@code String.lowercase_ascii}: only A-Z change. */
    static String asciiLower(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
        }
        return b.toString();
    }
}
