package org.xapijava.server.xenops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.db.FieldReads;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Pool;

/**
 * Xapi's comparison of host software versions during a rolling pool upgrade ({@code Helpers.Checks.RPU}): the
 * {@code platform_version} and {@code xapi} keys of {@code software_version} as lists of integers, a host "highest"
 * when each of its two is at least the pool's maximum. Stateless.
 */
public final class HostVersions {
    /** {@code Xapi_globs._platform_version} and {@code _xapi_version}. */
    static final List<String> KEYS = List.of("platform_version", "xapi");

    private HostVersions() {}

    /** {@code version_numbers_of_string}: "1.2.3-4.5" is [1; 2; 3; 4; 5]; parts that are not integers are dropped. */
    static List<Integer> numbers(String version) {
        String[] dash = version.split("-", -1);
        List<String> parts = new ArrayList<>();
        if (dash.length >= 2) {
            parts.addAll(List.of(dash[0].split("\\.", -1)));
            parts.addAll(List.of(dash[1].split("\\.", -1)));
        } else {
            parts.addAll(List.of(version.split("\\.", -1)));
        }
        List<Integer> out = new ArrayList<>();
        for (String p : parts) {
            try {
                out.add(Integer.parseInt(p));
            } catch (NumberFormatException e) {
                // int_of_string_opt: skipped
            }
        }
        return out;
    }

    /** {@code compare_int_lists}: element by element, a list that ends first is the smaller. */
    static int compare(List<Integer> a, List<Integer> b) {
        for (int i = 0; ; i++) {
            if (i == a.size()) return i == b.size() ? 0 : -1;
            if (i == b.size()) return 1;
            int c = Integer.compare(a.get(i), b.get(i));
            if (c != 0) return c;
        }
    }

    private static List<Integer> version(Map<String, String> sw, String key) {
        return numbers(sw.getOrDefault(key, "0.0.0"));
    }

    /** {@code compare_all_versions}: every key of {@code a} at least that of {@code b}. */
    static boolean atLeast(Map<String, String> a, Map<String, String> b) {
        for (String k : KEYS) if (compare(version(a, k), version(b, k)) < 0) return false;
        return true;
    }

    /** Xapi's {@code rolling_upgrade_in_progress}: the pool's other_config has the key. */
    public static boolean rollingUpgradeInProgress(FieldReads r) {
        for (String pool : r.all(Pool.XAPI_CLASS)) {
            return r.get(pool, Pool.OTHER_CONFIG).containsKey("rolling_upgrade_in_progress");
        }
        return false;
    }

    /** {@code host_has_highest_version_in_pool}: the host's versions at least the pool's maximum. */
    public static boolean hasHighestVersion(FieldReads r, String host) {
        Map<String, String> max = null;
        for (String h : r.all(Host.XAPI_CLASS)) {
            Map<String, String> sw = r.get(h, Host.SOFTWARE_VERSION);
            // max_version_in_pool: the first host's, replaced by any that is not at least it
            if (max == null || !atLeast(max, sw)) max = sw;
        }
        return max == null || atLeast(r.get(host, Host.SOFTWARE_VERSION), max);
    }
}
