package org.xapijava.server.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.api.enums.VmssFrequency;
import org.xapijava.model.errors.ApiError;

/** Xapi's checks of a snapshot schedule's {@code schedule} map ({@code xapi_vmss.ml}, {@code map_check.ml}). */
class VmssScheduleTest {
    private static Map<String, String> map(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    private static List<String> refusal(Runnable r) {
        return assertThrows(ApiError.class, r::run).description();
    }

    private static Map<String, String> all(VmssFrequency f, Map<String, String> v) {
        return VmssSchedule.assertAllKeys(VmssSchedule.keys(f), v, v);
    }

    @Test
    void eachFrequencyHasItsKeysWithDefaults() {
        assertEquals(map("min", "0"), all(VmssFrequency.HOURLY, map()));
        assertEquals(map("hour", "0", "min", "0"), all(VmssFrequency.DAILY, map()));
        assertEquals(map("hour", "0", "min", "0", "days", "Monday"), all(VmssFrequency.WEEKLY, map()));
        // other keys are dropped, the frequency's own kept in Xapi's order
        assertEquals(map("min", "30"), all(VmssFrequency.HOURLY, map("days", "Friday", "hour", "3", "min", "30")));
        assertEquals(
                map("hour", "3", "min", "30", "days", "Friday"),
                all(VmssFrequency.WEEKLY, map("days", "Friday", "min", "30", "hour", "3")));
    }

    @Test
    void valuesAreCheckedAndSpeltAsXapiStoresThem() {
        // enumerations match in any letter case and are stored as listed; integers keep the text given
        assertEquals(
                map("hour", "0x0A", "min", "45", "days", "Monday,Friday"),
                all(VmssFrequency.WEEKLY, map("hour", "0x0A", "min", "45", "days", "MONDAY,friday")));
        assertEquals(map("hour", "+7", "min", "0"), all(VmssFrequency.DAILY, map("hour", "+7")));
        assertEquals(map("hour", "2_3", "min", "0"), all(VmssFrequency.DAILY, map("hour", "2_3")));
    }

    @Test
    void badValuesNameTheirKey() {
        assertEquals(
                List.of("INVALID_VALUE", "schedule:min", "7"),
                refusal(() -> all(VmssFrequency.HOURLY, map("min", "7"))));
        assertEquals(
                List.of("INVALID_VALUE", "schedule:hour", "24"),
                refusal(() -> all(VmssFrequency.DAILY, map("hour", "24"))));
        assertEquals(
                List.of("INVALID_VALUE", "schedule:hour", "-1"),
                refusal(() -> all(VmssFrequency.DAILY, map("hour", "-1"))));
        assertEquals(
                List.of("INVALID_VALUE", "schedule:hour", "1.5"),
                refusal(() -> all(VmssFrequency.DAILY, map("hour", "1.5"))));
        assertEquals(
                List.of("INVALID_VALUE", "schedule:hour", ""),
                refusal(() -> all(VmssFrequency.DAILY, map("hour", ""))));
        // a day not in the week is reported alone; a repeated one with the whole value (folded from the right)
        assertEquals(
                List.of("INVALID_VALUE", "schedule:days", "Funday"),
                refusal(() -> all(VmssFrequency.WEEKLY, map("days", "Monday,Funday"))));
        assertEquals(
                List.of("INVALID_VALUE", "schedule:days", "Monday,Friday,monday"),
                refusal(() -> all(VmssFrequency.WEEKLY, map("days", "Monday,Friday,monday"))));
        assertEquals(
                List.of("INVALID_VALUE", "schedule:days", ""),
                refusal(() -> all(VmssFrequency.WEEKLY, map("days", ""))));
        assertEquals(
                List.of("INVALID_VALUE", "schedule:days", ""),
                refusal(() -> all(VmssFrequency.WEEKLY, map("days", "Monday,"))));
    }

    @Test
    void assertKeysRefusesKeysOfOtherFrequenciesAndMerges() {
        List<VmssSchedule.Key> hourly = VmssSchedule.keys(VmssFrequency.HOURLY);
        assertEquals(
                List.of("INVALID_VALUE", "schedule:hour", "3"),
                refusal(() -> VmssSchedule.assertKeys(hourly, map("min", "0", "hour", "3"), map())));
        assertEquals(
                List.of("INVALID_VALUE", "schedule:colour", "red"),
                refusal(() -> VmssSchedule.assertKeys(VmssSchedule.allKeys(), map("colour", "red"), map())));
        assertEquals(
                List.of("INVALID_VALUE", "schedule", "x"),
                refusal(() -> VmssSchedule.assertKeys(VmssSchedule.allKeys(), map("", "x"), map())));
        // new keys first, then the stored ones with the new values over them
        assertEquals(
                map("days", "Sunday", "hour", "5", "min", "15"),
                VmssSchedule.assertKeys(
                        VmssSchedule.allKeys(), map("min", "15", "days", "sunday"), map("hour", "5", "min", "0")));
        // a stored value is checked too
        assertEquals(
                List.of("INVALID_VALUE", "schedule:min", "7"),
                refusal(() -> VmssSchedule.assertKeys(VmssSchedule.allKeys(), map("hour", "1"), map("min", "7"))));
    }

    @Test
    void mergeIsXapis() {
        assertEquals(
                map("c", "3", "a", "1", "b", "9"),
                VmssSchedule.merge(map("b", "9", "c", "3"), map("a", "1", "b", "2")));
    }

    private static java.time.Instant at(String s) {
        return java.time.Instant.parse(s);
    }

    private static java.time.Instant latest(VmssFrequency f, Map<String, String> schedule, String now) {
        return VmssSchedule.latestRun(f, schedule, at(now), java.time.ZoneOffset.UTC);
    }

    @Test
    void theLatestRunIsAtTheScheduledMinuteHourAndDay() {
        // hourly: min past each hour, the current hour's once it has come
        assertEquals(
                at("2026-01-01T09:15:00Z"), latest(VmssFrequency.HOURLY, map("min", "15"), "2026-01-01T09:15:00Z"));
        assertEquals(
                at("2026-01-01T08:45:00Z"), latest(VmssFrequency.HOURLY, map("min", "45"), "2026-01-01T09:44:59Z"));
        assertEquals(at("2026-01-01T09:00:00Z"), latest(VmssFrequency.HOURLY, map(), "2026-01-01T09:44:59Z"));
        // daily: hour (OCaml syntax, as stored) and min, else yesterday's
        assertEquals(
                at("2026-01-01T07:30:00Z"),
                latest(VmssFrequency.DAILY, map("hour", "7", "min", "30"), "2026-01-01T23:00:00Z"));
        assertEquals(
                at("2025-12-31T17:00:00Z"),
                latest(VmssFrequency.DAILY, map("hour", "0x11", "min", "0"), "2026-01-01T16:59:00Z"));
        // weekly: the latest of the days (2026-01-01 is a Thursday)
        Map<String, String> w = map("hour", "1", "min", "0", "days", "Saturday,Tuesday");
        assertEquals(at("2025-12-30T01:00:00Z"), latest(VmssFrequency.WEEKLY, w, "2026-01-01T12:00:00Z"));
        assertEquals(at("2026-01-03T01:00:00Z"), latest(VmssFrequency.WEEKLY, w, "2026-01-03T01:00:00Z"));
        assertEquals(at("2025-12-30T01:00:00Z"), latest(VmssFrequency.WEEKLY, w, "2026-01-03T00:59:00Z"));
        assertEquals(at("2025-12-29T00:00:00Z"), latest(VmssFrequency.WEEKLY, map(), "2026-01-01T12:00:00Z"));
    }

    @Test
    void anUnreadableScheduleNeverRuns() {
        assertEquals(null, latest(VmssFrequency.HOURLY, map("min", "20"), "2026-01-01T09:00:00Z"));
        assertEquals(null, latest(VmssFrequency.DAILY, map("hour", "24"), "2026-01-01T09:00:00Z"));
        assertEquals(null, latest(VmssFrequency.WEEKLY, map("days", "Caturday"), "2026-01-01T09:00:00Z"));
    }
}
