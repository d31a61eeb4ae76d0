package org.xapijava.server.ops;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xapijava.db.DbReader;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMGuestMetrics;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.server.DbValues;
import org.xapijava.server.xenops.HostVersions;

/** Xapi's derived facts about one database state (pool flags, dom0, PV drivers), for the checkers. Stateless. */
final class Rows {
    private Rows() {}

    /** Xapi's {@code bool_of_assoc}: the key is present with value {@code 1} or {@code true} (any case). */
    static boolean boolOfAssoc(Map<String, String> m, String key) {
        String v = m.get(key);
        return v != null && (v.equals("1") || v.toLowerCase(Locale.ROOT).equals("true"));
    }

    /** Xapi's {@code rolling_upgrade_in_progress}: the pool's other_config has the key. */
    static boolean rollingUpgrade(DbReader r) {
        return HostVersions.rollingUpgradeInProgress(r);
    }

    /** The pool's other_config (empty without a pool). */
    static Map<String, String> poolOtherConfig(DbReader r) {
        for (String pool : r.all("pool")) return r.get(pool, Pool.OTHER_CONFIG);
        return Map.of();
    }

    /** Whether HA is enabled on the pool. */
    static boolean haEnabled(DbReader r) {
        for (String pool : r.all("pool")) return r.get(pool, Pool.HA_ENABLED);
        return false;
    }

    /** Whether a pool operation is in progress ({@code Xapi_pool_helpers.is_pool_op_in_progress}). */
    static boolean poolOpInProgress(DbReader r, String op) {
        for (String pool : r.all("pool"))
            return r.get(pool, Pool.CURRENT_OPERATIONS).containsValue(op);
        return false;
    }

    /**
     * Xapi's {@code Helpers.is_domain_zero}: a control domain resident on a host whose
     * {@code control_domain} is this VM.
     */
    static boolean isDomainZero(DbReader r, String vm) {
        if (!r.get(vm, VM.IS_CONTROL_DOMAIN)) return false;
        String host = r.get(vm, VM.RESIDENT_ON);
        return r.isValid(Host.XAPI_CLASS, host) && vm.equals(r.get(host, Host.CONTROL_DOMAIN));
    }

    /**
     * Xapi's {@code Xapi_pv_driver_version.has_pv_drivers (of_guest_metrics gm)}: the guest reports
     * a driver version whose major and minor (and micro and build, when present) are integers.
     */
    static boolean hasPvDrivers(DbReader r, String guestMetrics) {
        if (!r.isValid(VMGuestMetrics.XAPI_CLASS, guestMetrics)) return false;
        Map<String, String> v = r.get(guestMetrics, VMGuestMetrics.PV_DRIVERS_VERSION);
        if (!v.containsKey("major") || !v.containsKey("minor")) return false;
        for (String k : List.of("major", "minor", "micro", "build")) {
            if (v.containsKey(k) && !isOcamlInt(v.get(k))) return false;
        }
        return true;
    }

    /**
     * Whether OCaml's {@code int_of_string} accepts {@code s} (else Xapi's {@code get_drivers_version}
     * raises and the VM counts as without PV drivers). Now exactly OCaml's rule: the former hand-written
     * check here was looser (no overflow check, non-ASCII digits) and missed {@code 0u}; no caller or
     * test relied on those differences.
     */
    static boolean isOcamlInt(String s) {
        return RpcValues.tryParseOcamlInt(s).isPresent();
    }

    /**
     * Xapi's {@code Helpers.domain_type}: the running domain's type (VM_metrics) for a live or
     * suspended VM, the configured one for a halted VM; {@code INTERNAL_ERROR} when unspecified.
     */
    static String domainType(DbReader r, String vm) {
        String t = "Halted".equals(r.get(vm, VM.POWER_STATE))
                ? r.get(vm, VM.DOMAIN_TYPE)
                : DbValues.str(r, "VM_metrics", r.get(vm, VM.METRICS), "current_domain_type");
        if ("unspecified".equals(t)) throw org.xapijava.model.errors.ApiError.internal("unspecified domain type");
        return t;
    }
}
