package org.xapijava.server.api;

import org.xapijava.model.rbac.Rbac;
import org.xapijava.server.dispatch.MessageTable;

/**
 * {@code role.*}: roles and permissions are static objects served from the RBAC table, not database
 * rows ({@code xapi_role.ml}).
 */
public final class RoleApi implements ApiModule {
    private final Rbac rbac;

    public RoleApi(Rbac rbac) {
        this.rbac = rbac;
    }

    @Override
    public void register(MessageTable t) {
        t.bind("role.get_all", (ctx, a) -> rbac.allRefs());
        t.bind("role.get_all_records", (ctx, a) -> rbac.allRecords());
        t.bind("role.get_all_records_where", (ctx, a) -> rbac.allRecordsWhere((String) a.get(0)));
        t.bind("role.get_record", (ctx, a) -> rbac.record((String) a.get(0)));
        t.bind("role.get_by_uuid", (ctx, a) -> rbac.getByUuid((String) a.get(0)));
        t.bind("role.get_by_name_label", (ctx, a) -> rbac.getByNameLabel((String) a.get(0)));
        for (String f : new String[] {"uuid", "name_label", "name_description", "subroles", "is_internal"}) {
            if (t.resolve("role.get_" + f) != null)
                t.bind(
                        "role.get_" + f,
                        (ctx, a) -> rbac.record((String) a.get(0)).get(f));
        }
        t.bind("role.get_permissions", (ctx, a) -> rbac.permissionsOfRole((String) a.get(0)));
        t.bind("role.get_permissions_name_label", (ctx, a) -> rbac.permissionLabelsOfRole((String) a.get(0)));
        t.bind("role.get_by_permission", (ctx, a) -> rbac.rolesContaining((String) a.get(0)));
        t.bind("role.get_by_permission_name_label", (ctx, a) -> rbac.rolesContainingLabel((String) a.get(0)));
    }
}
