package org.xapijava.server.ops;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xapijava.db.DbReader;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.DbValues;

/**
 * Xapi's pool operation checker ({@code xapi_pool_helpers.ml:compute_valid_operations}). Blocking
 * operations refuse each other with their own {@code *_IN_PROGRESS} error (never retried); waiting
 * operations give {@code OTHER_OPERATION_IN_PROGRESS} (retried by the caller).
 */
final class PoolChecker implements OpChecker {
    static final String CLS = "pool";
    /** Blocking operations and their error, in Xapi's order ({@code blocking_ops_table}). */
    static final Map<String, String> BLOCKING = blocking();
    /** Waiting operations, in Xapi's order. */
    static final List<String> WAITING = List.of(
            "cert_refresh",
            "exchange_certificates_on_join",
            "exchange_ca_certificates_on_join",
            "copy_primary_host_certs",
            "eject",
            "get_updates",
            "exchange_crls_on_join");

    private final boolean psrPending;
    private final List<String> all;
    private final Map<String, ApiError> errors = new LinkedHashMap<>();

    private static Map<String, String> blocking() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("ha_enable", ErrorCodes.HA_ENABLE_IN_PROGRESS);
        m.put("ha_disable", ErrorCodes.HA_DISABLE_IN_PROGRESS);
        m.put("cluster_create", ErrorCodes.CLUSTER_CREATE_IN_PROGRESS);
        m.put("designate_new_master", ErrorCodes.DESIGNATE_NEW_MASTER_IN_PROGRESS);
        m.put("tls_verification_enable", ErrorCodes.TLS_VERIFICATION_ENABLE_IN_PROGRESS);
        m.put("configure_repositories", ErrorCodes.CONFIGURE_REPOSITORIES_IN_PROGRESS);
        m.put("sync_updates", ErrorCodes.SYNC_UPDATES_IN_PROGRESS);
        m.put("sync_bundle", ErrorCodes.SYNC_BUNDLE_IN_PROGRESS);
        m.put("apply_updates", ErrorCodes.APPLY_UPDATES_IN_PROGRESS);
        return java.util.Collections.unmodifiableMap(m);
    }

    private PoolChecker(DbReader r, String ref) {
        List<String> enumOps = r.datamodel().enumDef("pool_allowed_operations").values();
        List<String> ops = new ArrayList<>(BLOCKING.keySet());
        ops.addAll(WAITING);
        ops.retainAll(enumOps);
        all = List.copyOf(ops);
        psrPending = DbValues.bool(r, CLS, ref, "is_psr_pending");
        Map<String, String> current = DbValues.map(r, CLS, ref, "current_operations");
        Optional<String> blockingReason = BLOCKING.entrySet().stream()
                .filter(e -> current.containsValue(e.getKey()))
                .map(Map.Entry::getValue)
                .findFirst();
        Optional<Map.Entry<String, String>> waiting = current.entrySet().stream()
                .filter(e -> WAITING.contains(e.getValue()))
                .findFirst();
        ApiError other = waiting.map(
                        e -> new ApiError(ErrorCodes.OTHER_OPERATION_IN_PROGRESS, CLS, ref, e.getValue(), e.getKey()))
                .orElseGet(() -> new ApiError(ErrorCodes.OTHER_OPERATION_IN_PROGRESS, CLS, ref));
        if (blockingReason.isPresent()) {
            refuse(BLOCKING.keySet(), new ApiError(blockingReason.get()));
            refuse(WAITING, other);
        } else if (waiting.isPresent()) {
            refuse(all, other);
        } else {
            boolean ha = DbValues.bool(r, CLS, ref, "ha_enabled");
            if (ha) {
                refuse(List.of("ha_enable", "tls_verification_enable"), new ApiError(ErrorCodes.HA_IS_ENABLED));
            } else {
                refuse(List.of("ha_disable"), new ApiError(ErrorCodes.HA_NOT_ENABLED));
            }
            if (Rows.rollingUpgrade(r)) {
                refuse(
                        List.of("cluster_create", "tls_verification_enable"),
                        new ApiError(ErrorCodes.NOT_SUPPORTED_DURING_UPGRADE));
            }
            int clusters = r.count("Cluster");
            if (clusters == 1) {
                refuse(List.of("cluster_create"), new ApiError(ErrorCodes.CLUSTER_ALREADY_EXISTS));
            } else if (clusters > 1) {
                throw ApiError.internal("Multiple clusters exist in the pool");
            } else if (ha) {
                refuse(
                        List.of("cluster_create"),
                        new ApiError(
                                ErrorCodes.INCOMPATIBLE_CLUSTER_STACK_ACTIVE,
                                DbValues.str(r, CLS, ref, "ha_cluster_stack")));
            }
        }
    }

    static PoolChecker of(DbReader r, String ref) {
        if (!r.isValid(CLS, ref)) throw ApiError.handleInvalid(CLS, ref);
        return new PoolChecker(r, ref);
    }

    private void refuse(Iterable<String> ops, ApiError e) {
        for (String op : ops) if (all.contains(op)) errors.putIfAbsent(op, e);
    }

    /** {@code assert_operation_valid}: nothing while a pool secret rotation is pending, then the table. */
    @Override
    public ApiError check(String op, boolean strict) {
        if (psrPending) return new ApiError(ErrorCodes.POOL_SECRET_ROTATION_PENDING);
        if (!all.contains(op)) {
            return ApiError.internal("Xapi_pool_helpers.assert_operation_valid unknown operation: " + op);
        }
        return errors.get(op);
    }

    /** Every operation the table allows (a pending rotation does not show here, as in Xapi), in Xapi's order. */
    @Override
    public List<String> allowed() {
        return all.stream().filter(op -> !errors.containsKey(op)).toList();
    }
}
