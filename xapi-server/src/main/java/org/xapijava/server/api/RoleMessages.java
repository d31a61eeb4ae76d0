package org.xapijava.server.api;

import java.util.List;
import java.util.Map;
import org.xapijava.model.api.Role;
import org.xapijava.model.rbac.Rbac;
import org.xapijava.server.api.gen.RoleApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * {@code role.*}: roles and permissions are static objects served from the RBAC table, not database
 * rows ({@code xapi_role.ml}), so even the implicit messages are implemented here.
 */
public final class RoleMessages implements RoleApi, Messages {
    private final Rbac rbac;

    public RoleMessages(Rbac rbac) {
        this.rbac = rbac;
    }

    @Override
    public void bind(MessageTable table) {
        RoleApi.bind(table, this);
    }

    @Override
    public List<String> getAll(CallContext ctx) {
        return rbac.allRefs();
    }

    @Override
    public Map<String, Map<String, Object>> getAllRecords(CallContext ctx) {
        return rbac.allRecords();
    }

    @Override
    public Map<String, Map<String, Object>> getAllRecordsWhere(CallContext ctx, String expr) {
        return rbac.allRecordsWhere(expr);
    }

    @Override
    public Map<String, Object> getRecord(CallContext ctx, String self) {
        return rbac.record(self);
    }

    @Override
    public String getByUuid(CallContext ctx, String uuid) {
        return rbac.getByUuid(uuid);
    }

    @Override
    public List<String> getByNameLabel(CallContext ctx, String label) {
        return rbac.getByNameLabel(label);
    }

    @Override
    public String getUuid(CallContext ctx, String self) {
        return (String) rbac.record(self).get(Role.UUID.name());
    }

    @Override
    public String getNameLabel(CallContext ctx, String self) {
        return (String) rbac.record(self).get(Role.NAME_LABEL.name());
    }

    @Override
    public String getNameDescription(CallContext ctx, String self) {
        return (String) rbac.record(self).get(Role.NAME_DESCRIPTION.name());
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<String> getSubroles(CallContext ctx, String self) {
        return (List<String>) rbac.record(self).get(Role.SUBROLES.name());
    }

    @Override
    public boolean getIsInternal(CallContext ctx, String self) {
        return (Boolean) rbac.record(self).get(Role.IS_INTERNAL.name());
    }

    @Override
    public List<String> getPermissions(CallContext ctx, String self) {
        return rbac.permissionsOfRole(self);
    }

    @Override
    public List<String> getPermissionsNameLabel(CallContext ctx, String self) {
        return rbac.permissionLabelsOfRole(self);
    }

    @Override
    public List<String> getByPermission(CallContext ctx, String permission) {
        return rbac.rolesContaining(permission);
    }

    @Override
    public List<String> getByPermissionNameLabel(CallContext ctx, String label) {
        return rbac.rolesContainingLabel(label);
    }
}
