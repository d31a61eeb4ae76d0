package org.xapijava.server.http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.xapijava.model.Datamodel;

/**
 * One of Xapi's HTTP actions ({@code datamodel.ml http_actions}): its name ({@code get_export}), method, path,
 * whether it runs on the pool master only ({@code xapi.ml master_only_http_handlers}) and whether it is public
 * ({@code public_http_actions_with_no_rbac_check}: no credentials checked before the handler, which checks per
 * call if at all) and its RBAC permission ({@code http/<name>}, or an action's whose rights it shares). Immutable.
 */
public record HttpAction(
        String name, String method, String path, boolean masterOnly, boolean isPublic, String permission) {

    /**
     * Beyond Xapi: {@code GET /metrics}, the statistics in Prometheus' text format, with the rights of
     * {@code /rrd_updates} (no permission of its own, so the roles stay Xapi's).
     */
    public static final HttpAction METRICS =
            new HttpAction("get_metrics", "GET", "/metrics", false, false, permissionOf("rrd_updates"));

    /** The actions Xapi registers on the pool master only ({@code xapi.ml master_only_http_handlers}). */
    static final Set<String> MASTER_ONLY = Set.of(
            "post_remote_db_access",
            "post_remote_db_access_v2",
            "get_repository",
            "get_updates",
            "get_enabled_repository");

    /** The RBAC permission of the datamodel's action {@code name}. */
    static String permissionOf(String name) {
        return org.xapijava.model.rbac.Rbac.HTTP_PREFIX + name;
    }

    /** Every HTTP action of the datamodel, by name, and {@link #METRICS}. */
    public static Map<String, HttpAction> all(Datamodel dm) {
        Map<String, HttpAction> out = new LinkedHashMap<>();
        for (Datamodel.HttpActionDef h : dm.httpActionDefs()) {
            out.put(
                    h.name(),
                    new HttpAction(
                            h.name(),
                            h.method(),
                            h.path(),
                            MASTER_ONLY.contains(h.name()),
                            h.noRbacCheck(),
                            permissionOf(h.name())));
        }
        out.put(METRICS.name(), METRICS);
        return out;
    }
}
