package org.xapijava.server.api;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rbac.Rbac;
import org.xapijava.server.dispatch.MessageTable;

/**
 * {@code subject.*} (xapi_subject.ml). Subjects come from an external directory: {@code create}
 * refuses a duplicate identifier, then asks the directory about the subject, which without external
 * authentication answers {@code AUTH_IS_DISABLED}. Role changes accept only role objects (not plain
 * permissions).
 */
public final class SubjectApi implements ApiModule {
    private final Rbac rbac;

    public SubjectApi(Rbac rbac) {
        this.rbac = rbac;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void register(MessageTable t) {
        t.bind("subject.create", (ctx, a) -> {
            Map<String, Object> rec = (Map<String, Object>) a.get(0);
            String sid = (String) rec.get("subject_identifier");
            for (Map<String, Object> r :
                    ctx.db().snapshot().getAllRecords("subject").values()) {
                if (sid.equals(r.get("subject_identifier"))) throw new ApiError("SUBJECT_ALREADY_EXISTS");
            }
            // the directory lookup Xapi does next needs external authentication (not available here)
            throw new ApiError("AUTH_IS_DISABLED");
        });
        t.bind("subject.add_to_roles", (ctx, a) -> {
            String self = (String) a.get(0);
            String role = (String) a.get(1);
            if (!rbac.isRole(role)) throw new ApiError("ROLE_NOT_FOUND");
            ctx.db().transact(tx -> {
                List<String> roles = (List<String>) tx.get("subject", self, "roles");
                if (roles.contains(role)) throw new ApiError("ROLE_ALREADY_EXISTS");
                tx.addToSet("subject", self, "roles", role);
            });
            return null;
        });
        t.bind("subject.remove_from_roles", (ctx, a) -> {
            String self = (String) a.get(0);
            String role = (String) a.get(1);
            ctx.db().transact(tx -> {
                List<String> roles = (List<String>) tx.get("subject", self, "roles");
                if (!roles.contains(role)) throw new ApiError("ROLE_NOT_FOUND");
                tx.removeFromSet("subject", self, "roles", role);
            });
            return null;
        });
        t.bind("subject.get_permissions_name_label", (ctx, a) -> {
            List<String> roles = (List<String>) ctx.db().snapshot().get("subject", (String) a.get(0), "roles");
            Set<String> out = new LinkedHashSet<>();
            for (String r : roles) if (rbac.isValid(r)) out.addAll(rbac.permissionLabelsOfRole(r));
            return new ArrayList<>(out);
        });
    }
}
