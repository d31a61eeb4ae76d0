package org.xapijava.server.api;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.api.Subject;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rbac.Rbac;
import org.xapijava.server.api.gen.SubjectApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * {@code subject.*} (xapi_subject.ml). Subjects come from an external directory: {@code create}
 * refuses a duplicate identifier, then asks the directory about the subject, which without external
 * authentication answers {@code AUTH_IS_DISABLED}. Role changes accept only role objects (not plain
 * permissions).
 */
public final class SubjectMessages implements SubjectApi, Messages {
    private final Rbac rbac;

    public SubjectMessages(Rbac rbac) {
        this.rbac = rbac;
    }

    @Override
    public void bind(MessageTable table) {
        SubjectApi.bind(table, this);
    }

    @Override
    public String create(CallContext ctx, Map<String, Object> args) {
        Object sid = args.get(Subject.SUBJECT_IDENTIFIER.name());
        for (Map<String, Object> r : ctx.data().allRecords(Subject.XAPI_CLASS).values()) {
            if (sid.equals(r.get(Subject.SUBJECT_IDENTIFIER.name()))) throw new ApiError("SUBJECT_ALREADY_EXISTS");
        }
        // the directory lookup Xapi does next needs external authentication (not available here)
        throw new ApiError("AUTH_IS_DISABLED");
    }

    @Override
    public void addToRoles(CallContext ctx, String self, String role) {
        if (!rbac.isRole(role)) throw new ApiError("ROLE_NOT_FOUND");
        Db data = ctx.data();
        Db.retrying(() -> {
            List<String> roles = data.get(self, Subject.ROLES);
            if (roles.contains(role)) throw new ApiError("ROLE_ALREADY_EXISTS");
            data.apply(Update.builder()
                    .expect(self, Subject.ROLES, roles, null)
                    .addToSet(self, Subject.ROLES, role)
                    .build());
        });
    }

    @Override
    public void removeFromRoles(CallContext ctx, String self, String role) {
        Db data = ctx.data();
        Db.retrying(() -> {
            List<String> roles = data.get(self, Subject.ROLES);
            if (!roles.contains(role)) throw new ApiError("ROLE_NOT_FOUND");
            data.apply(Update.builder()
                    .expect(self, Subject.ROLES, roles, null)
                    .removeFromSet(self, Subject.ROLES, role)
                    .build());
        });
    }

    @Override
    public List<String> getPermissionsNameLabel(CallContext ctx, String self) {
        Set<String> out = new LinkedHashSet<>();
        for (String r : ctx.data().get(self, Subject.ROLES)) {
            if (rbac.isValid(r)) out.addAll(rbac.permissionLabelsOfRole(r));
        }
        return new ArrayList<>(out);
    }
}
